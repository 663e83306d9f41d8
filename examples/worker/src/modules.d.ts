// What wrangler hands the Worker for its module rules (wrangler.toml).
declare module '*.wasm' {
  const module: WebAssembly.Module; // CompiledWasm (wrangler's default rule for .wasm)
  export default module;
}
declare module '*.ssrq' {
  const data: ArrayBuffer; // Data rule
  export default data;
}
declare module '*.yunf' {
  const data: ArrayBuffer; // Data rule
  export default data;
}
