// Tell the vendored Jupyter widget manager where its fonts and chunks live (next to this file, in
// _static/html-manager/), so pages in any folder load them offline instead of from a CDN.
window.__jupyter_widgets_assets_path__ = new URL("html-manager/", document.currentScript.src).href;
