window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']], processEscapes: true},
  options: {ignoreHtmlClass: 'highlight|jp-CodeMirrorEditor|jp-OutputArea', processHtmlClass: 'jp-RenderedMarkdown'}  // prose only, never code or outputs
};
