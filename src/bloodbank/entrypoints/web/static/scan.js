// Barcode scanners type like keyboards and end with Enter. A field marked data-scan checks what was
// scanned at once (check character, structure, right barcode for the box) and says what is wrong.
(function () {
  function check(input) {
    var out = document.getElementById("s-" + input.name);
    if (!out) return;
    if (!input.value.trim()) { out.textContent = ""; input.removeAttribute("aria-invalid"); return; }
    var url = "/api/scan?expect=" + encodeURIComponent(input.dataset.scan) + "&text=" + encodeURIComponent(input.value);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (answer) {
      if (answer.ok) {
        out.textContent = "✓ " + answer.display;
        out.className = "scan-result ok";
        input.removeAttribute("aria-invalid");
        input.setCustomValidity("");
      } else {
        out.textContent = answer.message || "Not readable";
        out.className = "scan-result bad";
        input.setAttribute("aria-invalid", "true");
        input.setCustomValidity(answer.message || "Not readable");
      }
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("input[data-scan]")) check(e.target);
  });
  document.addEventListener("keydown", function (e) {
    // Enter from a scanner checks the field instead of submitting a half-filled form.
    if (e.key === "Enter" && e.target.matches && e.target.matches("input[data-scan]")) {
      check(e.target);
      var fields = Array.prototype.slice.call(e.target.form ? e.target.form.elements : []);
      var next = fields[fields.indexOf(e.target) + 1];
      if (next && next.type !== "submit" && next.type !== "hidden") { e.preventDefault(); next.focus(); }
    }
  });
})();
