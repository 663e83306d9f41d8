// `ssrnet eval`: labels from UTKFace names and CSVs (with their errors), the metrics on a tiny
// hand-computed set, and the command end to end — on crops of the example photo, and on the
// UTKFace dev faces when ../shared is present.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabelError, ageMetrics, cumulativeAccuracy, formatReport, genderAccuracy, labelsFromFileNames, parseLabelsCsv, parseUtkfaceName, splitByColumn } from '../src/eval.js';
import { DEV_FACES_DIR, haveDevFaces } from '../tools/dev-faces.js';
import { FACE_SIDE, ensureCliBuilt, runCli, writeAstronautFaces } from './helpers/cli-run.js';

describe('labels from UTKFace file names', () => {
  it('reads AGE_GENDER_ (gender 0 male, 1 female), also without the race field', () => {
    expect(parseUtkfaceName('42_1_0_20170104165810521.jpg.chip.jpg')).toEqual({ age: 42, gender: 'female' });
    expect(parseUtkfaceName('1_0_2_20161219195643627.jpg.chip.jpg')).toEqual({ age: 1, gender: 'male' });
    expect(parseUtkfaceName('39_1_20170116174525125.jpg.chip.jpg')).toEqual({ age: 39, gender: 'female' });
    for (const name of ['face.jpg', '42_2_0_x.jpg', '42.jpg', 'x_42_1_0.jpg', '1000_0_0_x.jpg']) expect(parseUtkfaceName(name)).toBeNull();
  });

  it('takes the image files of a folder, sorted, and ignores the other files', () => {
    const faces = labelsFromFileNames('d', ['labels.csv', '9_0_1_b.jpg', 'README.md', '30_1_2_a.PNG']);
    expect(faces).toEqual([
      { file: join('d', '30_1_2_a.PNG'), age: 30, gender: 'female' },
      { file: join('d', '9_0_1_b.jpg'), age: 9, gender: 'male' },
    ]);
  });

  it('names the image files without labels, and rejects a folder without images', () => {
    expect(() => labelsFromFileNames('d', ['9_0_1_b.jpg', 'holiday.jpg'])).toThrow(LabelError);
    expect(() => labelsFromFileNames('d', ['9_0_1_b.jpg', 'holiday.jpg'])).toThrow(/holiday\.jpg.*AGE_GENDER_RACE/);
    expect(() => labelsFromFileNames('d', ['notes.txt'])).toThrow(/no image files/);
  });
});

describe('labels from a CSV file,age[,gender]', () => {
  it('reads a header row, genders as 0/1 or words, paths relative to the CSV', () => {
    const csv = 'file,age,gender\na.jpg,42,1\nsub/b.png,7.5,male\n/abs/c.jpg,60,\n';
    expect(parseLabelsCsv(csv, 'data/labels.csv').map(({ columns: _, ...f }) => f)).toEqual([
      { file: join('data', 'a.jpg'), age: 42, gender: 'female' },
      { file: join('data', 'sub', 'b.png'), age: 7.5, gender: 'male' },
      { file: '/abs/c.jpg', age: 60 },
    ]);
  });

  it('with a header, finds file, age and gender by name in any order and keeps the other columns', () => {
    // The layout of ../shared/data/portraits-dev/labels.csv, columns shuffled, CRLF.
    const csv = 'bound_type,Age,age_min,file,gender\r\nhard,68.1,68.0,A1.jpg,0\r\nterm_heuristic,45.5,45.3,A2.jpg,1\r\n';
    expect(parseLabelsCsv(csv, 'p/labels.csv')).toEqual([
      { file: join('p', 'A1.jpg'), age: 68.1, gender: 'male', columns: { bound_type: 'hard', Age: '68.1', age_min: '68.0', file: 'A1.jpg', gender: '0' } },
      { file: join('p', 'A2.jpg'), age: 45.5, gender: 'female', columns: { bound_type: 'term_heuristic', Age: '45.5', age_min: '45.3', file: 'A2.jpg', gender: '1' } },
    ]);
    expect(parseLabelsCsv('age,file\n30,x.jpg\n', 'l.csv')).toEqual([{ file: 'x.jpg', age: 30, columns: { age: '30', file: 'x.jpg' } }]);
    const bad = (text: string) => () => parseLabelsCsv(text, 'l.csv');
    expect(bad('age,path\n30,x.jpg\n')).toThrow(/^l\.csv:1: a header without a 'file' column/);
    expect(bad('file,age,age\nx.jpg,30,31\n')).toThrow(/repeated column name/);
    expect(bad('file,age,site\nx.jpg,30\n')).toThrow(/^l\.csv:2: expected 3 columns as in the header, got 2/);
    expect(bad('site,file,age\nlab,x.jpg,old\n')).toThrow(/^l\.csv:2: bad age 'old'/);
  });

  it('splits faces by a column, in order of first appearance; an unknown column is a LabelError', () => {
    const faces = parseLabelsCsv('file,age,kind\na.jpg,1,x\nb.jpg,2,y\nc.jpg,3,x\n', 'l.csv');
    expect(splitByColumn(faces, 'kind').map((g) => [g.value, g.faces.map((f) => f.age)])).toEqual([['x', [1, 3]], ['y', [2]]]);
    expect(() => splitByColumn(faces, 'site')).toThrow(/no column 'site' to split by \(columns: file, age, kind\)/);
    expect(() => splitByColumn(parseLabelsCsv('a.jpg,1\n', 'l.csv'), 'kind')).toThrow(/the labels have no CSV header/);
  });

  it('needs no header, no gender column; skips blank lines; accepts CRLF, a BOM and quotes', () => {
    const csv = '\uFEFF"a.jpg",42\r\n\r\nb.jpg,0\r\n';
    expect(parseLabelsCsv(csv, 'labels.csv')).toEqual([
      { file: 'a.jpg', age: 42 },
      { file: 'b.jpg', age: 0 },
    ]);
  });

  it('rejects a bad row with its line number and what is wrong', () => {
    const bad = (csv: string) => () => parseLabelsCsv(csv, 'labels.csv');
    expect(bad('file,age\na.jpg,42\nb.jpg,old\n')).toThrow(/^labels\.csv:3: bad age 'old'/);
    expect(bad('a.jpg,-3\n')).toThrow(/labels\.csv:1: bad age '-3'/);
    expect(bad('a.jpg,42,2\n')).toThrow(/labels\.csv:1: bad gender '2'/);
    expect(bad('a.jpg\n')).toThrow(/labels\.csv:1: expected 2 or 3 columns .* got 1/);
    expect(bad('a.jpg,42,1,white\n')).toThrow(/got 4/);
    expect(bad(',42\n')).toThrow(/empty file name/);
    expect(bad('file,age,gender\n\n')).toThrow(/labels\.csv: no rows/);
    expect(bad('a.jpg,old\n')).toThrow(LabelError);
  });
});

describe('metrics', () => {
  // errors: 2, 4, 5, 3, 0.5, 3, 4, 2 (two of exactly 3 and one of exactly 5: CA counts |error| < n)
  const ages = [5, 12, 20, 30, 35, 50, 91, 100];
  const predicted = [7, 8, 25, 33, 35.5, 47, 95, 98];

  it('MAE, CA(3), CA(5) (strictly below n years) and the MAE per decade, by hand', () => {
    const m = ageMetrics(predicted, ages);
    expect(m.faces).toBe(8);
    expect(m.mae).toBeCloseTo(23.5 / 8, 12);
    expect(m.ca3).toBe(3 / 8); // 2, 0.5, 2
    expect(m.ca5).toBe(7 / 8); // all but the 5
    expect(m.decades.map((d) => [d.decade, d.faces, d.mae])).toEqual([
      ['0-9', 1, 2],
      ['10-19', 1, 4],
      ['20-29', 1, 5],
      ['30-39', 2, 1.75],
      ['40-49', 0, null],
      ['50-59', 1, 3],
      ['60-69', 0, null],
      ['70-79', 0, null],
      ['80-89', 0, null],
      ['90+', 2, 3], // 91 and 100
    ]);
  });

  it('CA(n) takes signed errors', () => {
    expect(cumulativeAccuracy([-2.9, 3, -3, 2.9], 3)).toBe(0.5);
  });

  it('gender accuracy counts only the faces with a gender label', () => {
    expect(genderAccuracy(['male', 'female', 'female', 'male'], ['male', 'male', undefined, 'male'])).toEqual({ faces: 3, accuracy: 2 / 3 });
    expect(genderAccuracy(['male'], [undefined])).toEqual({ faces: 0, accuracy: null });
  });

  it('formats one row per model and the faces per decade, as text or Markdown', () => {
    const report = {
      faces: 8,
      failed: [],
      age: [{ model: 'age-wiki', engine: 'int8' as const, ...ageMetrics(predicted, ages) }],
      gender: [{ model: 'gender-imdb', engine: 'int8' as const, faces: 3, accuracy: 2 / 3 }],
    };
    const text = formatReport(report);
    expect(text).toMatch(/^model +engine +faces +MAE +CA\(3\) +CA\(5\) +0-9 +10-19 .* 90\+\n/);
    expect(text).toMatch(/\nage-wiki +int8 +8 +2\.94 +37\.5% +87\.5% +2\.0 +4\.0 +5\.0 +1\.8 +— +3\.0 +— +— +— +3\.0\n/);
    expect(text).toMatch(/\nfaces per decade +1 +1 +1 +2 +0 +1 +0 +0 +0 +2\n/);
    expect(text).toMatch(/\ngender-imdb +int8 +3 +66\.7%\n/);
    const md = formatReport(report, 'markdown');
    expect(md).toMatch(/^\| model \| engine \| faces \| MAE \| CA\(3\) \| CA\(5\) \| 0-9 \|/);
    expect(md).toContain('| age-wiki | int8 | 8 | 2.94 | 37.5% | 87.5% | 2.0 |');
  });
});

describe('ssrnet eval (node dist/cli.js)', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    ensureCliBuilt();
    dir = mkdtempSync(join(tmpdir(), 'ssrnet-eval-'));
    files = await writeAstronautFaces(dir, 3);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores a folder of UTKFace-named crops: MAE = mean |estimate - 42|, as `estimate --box <whole crop>` gives', async () => {
    const [evalRun, estimateRun] = await Promise.all([
      runCli(['eval', dir, '--json', '--model', 'age-wiki', '--gender']),
      runCli(['estimate', '--json', '--model', 'age-wiki', '--gender', '--box', `0,0,${FACE_SIDE},${FACE_SIDE}`, ...files]),
    ]);
    expect(evalRun.stderr).toBe(''); // no progress bar: stderr is not a terminal
    expect(evalRun.status).toBe(0);
    const report = JSON.parse(evalRun.stdout);
    const estimates = (JSON.parse(estimateRun.stdout) as { faces: { age: number; gender: { label: string } }[] }[]).map((r) => r.faces[0]);
    expect(report).toMatchObject({ source: dir, margin: 0.4, faces: 3, failed: [] });
    expect(report.age).toHaveLength(1);
    expect(report.age[0]).toMatchObject({ model: 'age-wiki', engine: 'int8', faces: 3 });
    expect(report.age[0].mae).toBeCloseTo(estimates.reduce((s, f) => s + Math.abs(f.age - 42), 0) / 3, 10);
    expect(report.age[0].decades.find((d: { decade: string }) => d.decade === '40-49')).toEqual({ decade: '40-49', faces: 3, mae: report.age[0].mae });
    expect(report.gender).toEqual([
      { model: 'gender-imdb', engine: 'int8', faces: 3, accuracy: estimates.filter((f) => f.gender.label === 'female').length / 3 },
    ]);
  });

  it('prints a table; a CSV gives the same figures as the file names', async () => {
    writeFileSync(join(dir, 'labels.csv'), `file,age,gender\n${files.map((f) => `${basename(f)},42,1`).join('\n')}\n`);
    const [fromDir, fromCsv] = await Promise.all([runCli(['eval', dir]), runCli(['eval', join(dir, 'labels.csv')])]);
    expect(fromDir.status).toBe(0);
    expect(fromDir.stdout).toMatch(/\nauto +int8 +3 +\d+\.\d\d +\d+\.\d%/);
    expect(fromDir.stdout).toContain('CA(n): share of faces with |error| < n years');
    expect(fromCsv.stdout.split('\n').slice(1)).toEqual(fromDir.stdout.split('\n').slice(1)); // the first line names the source
  });

  it('--by COLUMN: one table per value, each with the figures of that subset alone', async () => {
    const csv = join(dir, 'by.csv');
    writeFileSync(csv, `site,age,file\n${files.map((f, i) => `${i === 1 ? 'b' : 'a'},42,${basename(f)}`).join('\n')}\n`);
    const onlyA = join(dir, 'only-a.csv');
    writeFileSync(onlyA, `file,age\n${[files[0], files[2]].map((f) => `${basename(f)},42`).join('\n')}\n`);
    const [by, byJson, a, unknown] = await Promise.all([
      runCli(['eval', csv, '--by', 'site']),
      runCli(['eval', csv, '--by', 'site', '--json']),
      runCli(['eval', onlyA, '--json']),
      runCli(['eval', csv, '--by', 'nope']),
    ]);
    expect(by.status).toBe(0);
    expect(by.stdout).toMatch(/^3 faces from .*\n\nsite = a: 2 faces\nmodel .*\nauto +int8 +2 [^]*\nsite = b: 1 faces\nmodel .*\nauto +int8 +1 /);
    const report = JSON.parse(byJson.stdout);
    expect(report.by).toBe('site');
    expect(report.groups.map((g: { value: string; faces: number }) => [g.value, g.faces])).toEqual([['a', 2], ['b', 1]]);
    expect(report.groups[0].age[0].mae).toBeCloseTo(JSON.parse(a.stdout).age[0].mae, 10);
    expect([unknown.status, unknown.stderr]).toEqual([1, `ssrnet: no column 'nope' to split by (columns: site, age, file)\n`]);
  });

  it('reads the portraits CSV as published (six columns, found by name), splits it by bound_type; --detect finds each face as `estimate` does', async () => {
    const csv = new URL('fixtures/portraits/labels.csv', import.meta.url).pathname;
    const faces = parseLabelsCsv(readFileSync(csv, 'utf8'), csv);
    const [r, detected, estimates] = await Promise.all([
      runCli(['eval', csv, '--model', 'age-wiki', '--by', 'bound_type', '--json']),
      runCli(['eval', csv, '--model', 'age-wiki', '--detect', '--json']),
      runCli(['estimate', '--json', '--model', 'age-wiki', ...faces.map((f) => f.file)]),
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).groups.map((g: { value: string; faces: number }) => [g.value, g.faces])).toEqual([['hard', 24]]);
    expect(detected.status).toBe(0);
    const ages = (JSON.parse(estimates.stdout) as { faces: { age: number }[] }[]).map((e) => e.faces[0].age);
    const mae = ages.reduce((s, a, i) => s + Math.abs(a - faces[i].age), 0) / faces.length;
    expect(JSON.parse(detected.stdout)).toMatchObject({ detect: true, faces: 24 });
    expect(JSON.parse(detected.stdout).age[0].mae).toBeCloseTo(mae, 10);
    expect(JSON.parse(r.stdout).groups[0].age[0].mae).not.toBeCloseTo(mae, 1); // the whole portrait is not the face box
  });

  it('--model all: the four models and auto in one table', async () => {
    const r = await runCli(['eval', dir, '--model', 'all', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).age.map((a: { model: string }) => a.model)).toEqual(['age-wiki', 'age-imdb', 'age-morph2', 'age-megaage-asian', 'auto']);
  });

  it('a face that fails is reported and left out (exit 1); bad labels and usage are clear errors', async () => {
    const csv = join(dir, 'with-missing.csv');
    writeFileSync(csv, `${basename(files[0])},42\nmissing.jpg,30\n`);
    const partial = await runCli(['eval', csv, '--json']);
    expect(partial.status).toBe(1);
    expect(partial.stderr).toMatch(/^ssrnet: .*missing\.jpg: READ_FAILED: cannot read the file \(ENOENT\)\n$/);
    expect(JSON.parse(partial.stdout)).toMatchObject({ faces: 1, failed: [{ error: { code: 'READ_FAILED' } }] });

    const badCsv = join(dir, 'bad.csv');
    writeFileSync(badCsv, 'a.jpg,42\nb.jpg,forty\n');
    const bad = await runCli(['eval', badCsv]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(`ssrnet: ${badCsv}:2: bad age 'forty' (expected a number of years, 0 or more) in 'b.jpg,forty'\n`);

    const usage = await Promise.all([runCli(['eval']), runCli(['eval', dir, '--model', 'age-nope']), runCli(['eval', dir, '--gender=nope'])]);
    for (const u of usage) expect([u.status, u.stderr]).toEqual([2, expect.stringMatching(/^ssrnet: .*\nRun 'ssrnet eval --help' for usage\.\n$/)]);
  });

  it.skipIf(!haveDevFaces())('on the UTKFace dev faces, age-wiki has MAE 11.7 ± 0.2', async () => {
    const r = await runCli(['eval', DEV_FACES_DIR, '--model', 'age-wiki']);
    expect(r.status).toBe(0);
    const row = /\nage-wiki +int8 +300 +(\d+\.\d+) /.exec(r.stdout);
    expect(row).not.toBeNull();
    expect(Math.abs(Number(row![1]) - 11.7)).toBeLessThanOrEqual(0.2);
  });
});
