// Written for this book (not vendored); loaded after require.js and before the widget manager (nb_ipywidgets_js in
// _config.yml), on the pages that show widgets.
(function () {
  // 1. The widget manager's AMD modules live next to this file. Each derives where to fetch the fonts bundled with it
  //    from its module URL, which require.js would otherwise place in the page's own folder.
  var here = document.currentScript.src.split(/[?#]/)[0].replace(/[^/]*$/, "") + "widgets/";
  var paths = {};
  [
    "@jupyter-widgets/base",
    "@jupyter-widgets/base7",
    "@jupyter-widgets/controls",
    "@jupyter-widgets/controls7",
    "@jupyter-widgets/html-manager",
    "@jupyter-widgets/html-manager/dist/libembed-amd",
  ].forEach(function (id) {
    paths[id] = here + id.replace(/[^A-Za-z0-9]+/g, "-");
  });
  window.requirejs.config({ paths: paths });

  // 2. ipywidgets typesets each widget's description with MathJax 2's `MathJax.Hub.Queue` whenever `window.MathJax`
  //    exists; the book loads MathJax 3, which has no `Hub`, and every labelled widget raised a TypeError. Give each
  //    object that becomes `window.MathJax` (the configuration first, then MathJax 3 itself) a hidden `Hub` that
  //    forwards to MathJax 3's typesetting once it has started.
  function withHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && !("Hub" in mathjax)) {
      Object.defineProperty(mathjax, "Hub", {
        enumerable: false,
        value: {
          Queue: function (job) {
            var element = job && job[2];
            var mj = window.MathJax;
            if (mj && mj.startup && mj.startup.promise && mj.typesetPromise) {
              mj.startup.promise.then(function () {
                return mj.typesetPromise(element ? [element] : undefined);
              });
            }
          },
        },
      });
    }
    return mathjax;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () {
      return current;
    },
    set: function (value) {
      current = withHub(value);
    },
  });
})();
