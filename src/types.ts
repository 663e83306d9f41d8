/**
 * Public types: image inputs, boxes, options and results.
 *
 * Coordinates are image pixels with the origin at the top-left corner, x to the right, y down.
 * For JPEG input they refer to the upright image, after EXIF orientation is applied (as
 * browsers display it).
 */

/**
 * Channel layout of {@link RawImage} pixels, 8 bits per channel, rows top to bottom, no row
 * padding.
 *
 * - `'rgba'`: 4 bytes per pixel (canvas ImageData layout); alpha is ignored.
 * - `'rgb'`: 3 bytes per pixel.
 * - `'bgr'`: 3 bytes per pixel in OpenCV order (what `cv.imread` returns).
 * - `'gray'`: 1 byte per pixel; used as r = g = b.
 */
export type PixelFormat = 'rgba' | 'rgb' | 'bgr' | 'gray';

/**
 * Already-decoded pixels.
 *
 * `data.length` must be exactly `width * height * channels` (4, 3, 3 or 1 for `format`).
 * RGBA data is read in place, not copied: do not modify it until the call using it has settled.
 *
 * @example
 * ```ts
 * // a 2x1 image: one red pixel, one blue pixel
 * const image: RawImage = { data: new Uint8Array([255, 0, 0, 0, 0, 255]), width: 2, height: 1, format: 'rgb' };
 * ```
 */
export interface RawImage {
  /** Pixel bytes, rows top to bottom; a Node Buffer is a Uint8Array and is accepted. */
  data: Uint8Array | Uint8ClampedArray;
  /** Width in pixels: a positive integer. */
  width: number;
  /** Height in pixels: a positive integer. */
  height: number;
  /** Channel layout of `data`. */
  format: PixelFormat;
}

/**
 * A browser `ImageData` (or anything shaped like it): RGBA pixels without a `format` field.
 *
 * @example
 * ```ts
 * const input: ImageDataLike = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
 * ```
 */
export interface ImageDataLike {
  /** RGBA bytes, `width * height * 4` of them. */
  data: Uint8ClampedArray | Uint8Array;
  /** Width in pixels: a positive integer. */
  width: number;
  /** Height in pixels: a positive integer. */
  height: number;
}

/**
 * Anything an image can be given as.
 *
 * - encoded JPEG, PNG, WebP (still images), GIF (first frame) or BMP bytes: `Uint8Array` (Node `Buffer` included),
 *   `Uint8ClampedArray`, `ArrayBuffer` or `DataView`;
 * - decoded pixels: a {@link RawImage} or an {@link ImageDataLike}.
 *
 * @example
 * ```ts
 * await estimator.estimate(await fs.readFile('face.jpg'));           // Node
 * await estimator.estimate(await (await fetch(url)).arrayBuffer());  // fetch
 * await estimator.estimate(ctx.getImageData(0, 0, w, h));            // canvas
 * ```
 */
export type ImageInput = Uint8Array | Uint8ClampedArray | ArrayBuffer | DataView | RawImage | ImageDataLike;

/**
 * An axis-aligned rectangle in image pixels; fractional values are allowed.
 *
 * @example
 * ```ts
 * const box: Box = { x: 175, y: 70, width: 90, height: 90 };
 * ```
 */
export interface Box {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width, greater than 0. */
  width: number;
  /** Height, greater than 0. */
  height: number;
}

/** A point in image pixels. */
export interface Point {
  x: number;
  y: number;
}

/**
 * The five facial landmarks the detector gives, in image pixels. Right and left are the
 * person's: `rightEye` is on the image's left in a frontal photo.
 */
export interface FaceLandmarks {
  /** Centre of the person's right eye. */
  rightEye: Point;
  /** Centre of the person's left eye. */
  leftEye: Point;
  /** Tip of the nose. */
  noseTip: Point;
  /** Right corner of the mouth (the person's right). */
  mouthRight: Point;
  /** Left corner of the mouth (the person's left). */
  mouthLeft: Point;
}

/** Result for one face. */
export interface FaceResult {
  /**
   * The face box the estimate was made for (before `margin` was added). For a detected face: a
   * square centred on the landmarks and sized from the detector's box, in the face-box
   * convention the age models were measured with (a UTKFace chip; faceBoxFromYunet in
   * src/face-box.ts). It may extend past the image edges.
   */
  box: Box;
  /**
   * The detector's five landmarks (eyes, nose tip, mouth corners) in image pixels; present only
   * for detected faces (not when `box` is given or `detect` is false).
   */
  landmarks?: FaceLandmarks;
  /**
   * The face detector's confidence, 0 to 1; present only for detected faces (not when `box` is
   * given or `detect` is false).
   */
  score?: number;
  /** Estimated age in years. */
  age: number;
  /** Estimated gender; present only when a gender model is loaded. */
  gender?: {
    /** The more likely label. */
    label: 'male' | 'female';
    /** The model's confidence in `label`, from 0.5 to 1. */
    probability: number;
  };
}

/**
 * Options of an estimate call.
 *
 * @example
 * ```ts
 * await estimator.estimate(bytes, { box: { x: 175, y: 70, width: 90, height: 90 }, margin: 0.4 });
 * ```
 */
export interface EstimateOptions {
  /**
   * The face box. It must be positive in size and overlap the image. When given, no face is
   * searched for and the result is this one face.
   * @default the faces found by the detector (or the whole image with `detect: false`)
   */
  box?: Box;
  /**
   * Without `box`: `true` finds the faces with the YuNet detector and estimates each of them;
   * `false` takes the whole image as the face (for input that is already a face crop).
   * @default true
   */
  detect?: boolean;
  /**
   * Most faces estimated (the best scoring first); a positive integer, or Infinity (at most 512,
   * the detector's own limit).
   * @default 100
   */
  maxFaces?: number;
  /**
   * Smallest detector score (0 to 1) for a face to be estimated. 0.6 keeps every face of the
   * tests (0.89 and up) and drops the best non-face windows of the test photos (0.35 and below).
   * @default 0.6
   */
  minScore?: number;
  /**
   * How small a face (box side in pixels) the detector searches for: the image is resized for
   * detection so that such a face stays findable (about 16 px at the detector), within the
   * detector's input limit (640x480 pixels). Larger values detect faster.
   * @default none: the image at most 640 px on its longer side; when that shrank the photo and
   *   the faces found are small (or none), a second pass in tiles at twice that resolution
   * @example
   * ```ts
   * await estimator.estimate(groupPhoto, { minFaceSize: 40 });
   * ```
   */
  minFaceSize?: number;
  /**
   * How much to widen the box before cropping, as a fraction of its size on each side: 0.4
   * widens it by 40% of its width to the left and to the right and 40% of its height above and
   * below (1.8x in each direction). SSR-Net was trained on such loose crops, so keep the default
   * unless your boxes are already loose. Parts of the widened box outside the image repeat the
   * edge pixels. Range 0 to 2.
   * @default 0.4
   */
  margin?: number;
  /**
   * Largest accepted image, in pixels (width x height). Encoded input is checked from its header
   * before anything is decoded, so oversized or hostile files fail fast with IMAGE_TOO_LARGE.
   * A positive integer.
   * @default 50_000_000
   */
  maxPixels?: number;
}

/**
 * Decodes encoded image bytes (JPEG, PNG…) to RGBA pixels, `data.length === width * height * 4`;
 * it rejects on bytes it cannot decode. See `EstimatorOptions.decode`.
 *
 * `limits.maxPixels` is the caller's pixel limit, already checked against the file's header; a
 * decoder should refuse to allocate for a larger frame anywhere in the file (a crafted JPEG can
 * hide a second frame header the first one does not reveal). Decoders that ignore it still work.
 *
 * @example
 * ```ts
 * const decode: ImageDecoder = async (bytes) => {
 *   const bitmap = await createImageBitmap(new Blob([bytes]));
 *   const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
 *   const ctx = canvas.getContext('2d')!;
 *   ctx.drawImage(bitmap, 0, 0);
 *   return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
 * };
 * ```
 */
export type ImageDecoder = (bytes: Uint8Array, limits: { maxPixels: number }) => Promise<ImageDataLike>;

/**
 * A decoded image in RGBA, 4 bytes per pixel, rows top to bottom: what every input is normalized
 * to before cropping.
 */
export interface Rgba {
  /** `width * height * 4` bytes. */
  data: Uint8Array;
  /** Width in pixels, at least 1. */
  width: number;
  /** Height in pixels, at least 1. */
  height: number;
}
