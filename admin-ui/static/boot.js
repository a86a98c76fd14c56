// Starts the admin portal: loads the wasm-bindgen glue, which fetches and runs the WebAssembly.
// Kept out of index.html because the Content-Security-Policy forbids inline scripts.
import init from "/admin/admin_ui.js";

await init({ module_or_path: "/admin/admin_ui_bg.wasm" });
