// Starts the builder portal: loads the wasm-bindgen glue, which fetches and runs the WebAssembly.
// Kept out of index.html because the Content-Security-Policy forbids inline scripts.
import init from "/builder/builder_ui.js";

await init({ module_or_path: "/builder/builder_ui_bg.wasm" });
