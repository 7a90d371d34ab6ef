// seawitness dashboard: small conveniences only; every page works without this script.
"use strict";
(function () {
  // Keyboard users: make map stations reachable with Tab and announce them.
  document.querySelectorAll("svg a.station").forEach(function (a) {
    var title = a.querySelector("title");
    if (title) { a.setAttribute("aria-label", title.textContent); }
  });
  // Copy buttons for command lines on the verify page.
  document.querySelectorAll("pre.cmd").forEach(function (pre) {
    if (!navigator.clipboard) { return; }
    var b = document.createElement("button");
    b.type = "button";
    var code = pre.querySelector("code");
    b.textContent = pre.getAttribute("data-copy-label") || "Copy";
    b.style.float = "right";
    b.addEventListener("click", function () { navigator.clipboard.writeText((code || pre).innerText.trim()); });
    pre.insertBefore(b, pre.firstChild);
  });
})();
