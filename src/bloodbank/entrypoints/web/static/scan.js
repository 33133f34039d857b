// Barcode scanners type like keyboards and end with Enter. A field marked data-scan checks what was
// scanned at once (check character, structure, right barcode for the box) and says what is wrong.
//
// Scanner first: the cursor starts in the page's first scan field; Enter after a good scan moves to the
// next field the form needs (a signature's password included) or, from the last one, sends the form;
// after a refused scan the cursor stays in the field with the text selected, so the next scan replaces it.
(function () {
  function check(input) {
    var out = document.getElementById("s-" + input.name);
    if (!input.value.trim()) {
      if (out) out.textContent = "";
      input.removeAttribute("aria-invalid");
      input.setCustomValidity("");
      return Promise.resolve(!input.required);
    }
    var url = "/api/scan?expect=" + encodeURIComponent(input.dataset.scan) + "&text=" + encodeURIComponent(input.value);
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (answer) {
      if (answer.ok) {
        if (out) { out.textContent = "✓ " + answer.display; out.className = "scan-result ok"; }
        input.removeAttribute("aria-invalid");
        input.setCustomValidity("");
        return true;
      }
      if (out) { out.textContent = answer.message || "Not readable"; out.className = "scan-result bad"; }
      input.setAttribute("aria-invalid", "true");
      input.setCustomValidity(answer.message || "Not readable");
      return false;
    }, function () { return true; });  // the server will check it again when the form is sent
  }

  function takesTyping(el) {
    if (!el || el.disabled || el.readOnly || el.type === "hidden") return false;
    if (["INPUT", "SELECT", "TEXTAREA"].indexOf(el.tagName) < 0) return false;
    if (["submit", "button", "reset", "image"].indexOf(el.type) >= 0) return false;
    return el.offsetParent !== null || el.getClientRects().length > 0;
  }

  // An optional field (a product code needed only when a DIN names two bags, an order number) is passed
  // over: the scanner's flow goes from scan to scan to the signature, and a person reaches the rest by Tab.
  function expected(el) {
    return el.required || el.type === "password" || el.hasAttribute("data-scan");
  }

  function nextField(input) {
    var fields = Array.prototype.slice.call(input.form ? input.form.elements : []);
    for (var i = fields.indexOf(input) + 1; i < fields.length; i++) {
      if (takesTyping(fields[i]) && expected(fields[i])) return fields[i];
    }
    return null;
  }

  function refused(input) {
    input.focus();
    input.select();
  }

  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("input[data-scan]")) {
      check(e.target).then(function (ok) { if (!ok && document.activeElement === e.target) e.target.select(); });
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !e.target.matches || !e.target.matches("input[data-scan]")) return;
    // The key is kept until the scan is judged: a good scan goes on, a refused one is replaced by the next.
    e.preventDefault();
    var input = e.target;
    check(input).then(function (ok) {
      if (!ok) { refused(input); return; }
      var next = nextField(input);
      if (next) { next.focus(); if (next.select) next.select(); return; }
      if (input.form) {
        if (input.form.requestSubmit) input.form.requestSubmit(); else input.form.submit();
      }
    });
  });

  function startInFirstScan() {
    var active = document.activeElement;
    if (active && active !== document.body) return;  // the page chose, or the person already moved
    var bad = document.querySelector("input[data-scan][aria-invalid='true']");
    // The first scan field a person can see: one inside a closed <details> waits until it is opened.
    var first = bad || Array.prototype.slice.call(document.querySelectorAll("main input[data-scan]"))
      .filter(takesTyping)[0];
    // Selected, so a scan replaces what the page filled in, and Enter accepts it as it is.
    if (first && takesTyping(first)) { first.focus(); first.select(); }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startInFirstScan);
  else startInFirstScan();
})();
