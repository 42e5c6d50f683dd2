// Offline Jupyter widgets: tell the vendored widget manager where its chunks and fonts live (next to this
// file, in _static/html-manager/) so pages in any folder load them from the book, not from a CDN.
(function () {
  var base = new URL("html-manager/", document.currentScript.src).href;
  window.__jupyter_widgets_assets_path__ = base;
  // The manager's CSS resolves its fonts against the AMD module's URL, which require.js derives from the
  // module name "@jupyter-widgets/html-manager/dist/..." relative to the *page* (-> 404 under book/).
  // require.js takes a global `require` object defined before it loads as its configuration.
  window.require = {paths: {"@jupyter-widgets/html-manager/dist": base.replace(/\/$/, "")}};
  // ipywidgets' controls typeset widget descriptions with the MathJax 2 API (MathJax.Hub.Queue); the book
  // loads MathJax 3, which has no Hub. Bridge the one call they make.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (mj && mj.startup && !mj.Hub) {
      mj.Hub = {Queue: function (cmd) {
        var el = cmd && cmd[2];
        mj.startup.promise.then(function () { return mj.typesetPromise(el ? [el] : undefined); });
      }};
    }
  });
})();
