// One box for two kinds of number: say at once which one it is, and what is wrong with a misread DIN,
// without blocking the search (the server answers every case clearly too).
(function () {
  var input = document.getElementById("f-q"), out = document.getElementById("s-q");
  if (!input || !out) return;
  input.addEventListener("change", function () {
    var text = input.value.trim();
    out.className = "scan-result"; out.textContent = "";
    if (!text) return;
    if (/^D\d{7}[0-9X]$/i.test(text.replace(/[\s-]+/g, ""))) { out.textContent = "Donor number: shows the lookback"; out.className = "scan-result ok"; return; }
    fetch("/api/scan?expect=din&text=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (a) {
        out.textContent = a.ok ? "✓ DIN " + a.display : (a.message || "Not readable");
        out.className = "scan-result " + (a.ok ? "ok" : "bad");
      });
  });
})();
