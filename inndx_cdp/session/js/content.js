// The main document as HTML: its doctype, then the root element's markup.
// A constant expression, so V8 compiles it once and reuses the code.
(() => {
  const doc = document;
  let html = doc.doctype ? new XMLSerializer().serializeToString(doc.doctype) : '';
  if (doc.documentElement) html += doc.documentElement.outerHTML;
  return html;
})()
