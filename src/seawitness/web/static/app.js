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
// Map popups: a click on a place shows its latest results (the link still works without JS).
(function () {
  var store = document.getElementById("popups");
  if (!store) { return; }
  var open = null;
  function close() { if (open) { open.remove(); open = null; } }
  document.querySelectorAll("svg.datamap a.place").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      var src = document.getElementById("place-" + a.getAttribute("data-place"));
      if (!src) { return; }
      ev.preventDefault();
      close();
      var pop = src.cloneNode(true);
      pop.id = "popup-open";
      pop.setAttribute("role", "dialog");
      var b = document.createElement("button");
      b.type = "button"; b.className = "close"; b.textContent = "×"; b.setAttribute("aria-label", "close");
      b.addEventListener("click", close);
      pop.insertBefore(b, pop.firstChild);
      var r = a.getBoundingClientRect();
      pop.style.left = Math.max(8, Math.min(window.scrollX + r.right + 8, window.scrollX + document.documentElement.clientWidth - 430)) + "px";
      pop.style.top = (window.scrollY + r.top - 10) + "px";
      document.body.appendChild(pop);
      open = pop;
    });
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { close(); } });
})();
