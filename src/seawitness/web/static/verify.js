// seawitness: check a record's inclusion proof in the browser, trusting nothing the page says
// about hashes. Inputs (in #proofcheck data attributes): the leaf bytes (base64), the leaf
// index, the tree size, the inclusion path (hex), the signed checkpoint note and the log's
// verifier key. Steps:
//  1. leaf hash = SHA-256(0x00 || leaf bytes)                     (RFC 9162 section 2.1.1)
//  2. root from the leaf hash and the path                         (RFC 9162 section 2.1.3.2)
//  3. that root and the tree size are the ones the checkpoint states (c2sp.org/tlog-checkpoint)
//  4. the checkpoint's Ed25519 signature verifies with the log key (c2sp.org/signed-note),
//     where the browser's WebCrypto has Ed25519; otherwise step 4 is reported as not checked.
"use strict";
(function () {
  var box = document.getElementById("proofcheck");
  if (!box || !window.crypto || !crypto.subtle) { return; }
  var enc = new TextEncoder();

  function b64(s) { var bin = atob(s), out = new Uint8Array(bin.length); for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); } return out; }
  function hex(u8) { return Array.prototype.map.call(u8, function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""); }
  function unhex(h) { var out = new Uint8Array(h.length / 2); for (var i = 0; i < out.length; i++) { out[i] = parseInt(h.substr(2 * i, 2), 16); } return out; }
  function cat(a, b, c) { var out = new Uint8Array(a.length + b.length + (c ? c.length : 0)); out.set(a, 0); out.set(b, a.length); if (c) { out.set(c, a.length + b.length); } return out; }
  function sha256(u8) { return crypto.subtle.digest("SHA-256", u8).then(function (d) { return new Uint8Array(d); }); }
  function eq(a, b) { if (a.length !== b.length) { return false; } for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } } return true; }

  // RFC 9162 2.1.3.2: recompute the root from an inclusion path.
  function rootFromPath(index, size, leafHash, path) {
    if (index >= size) { return Promise.reject(new Error("leaf index is not in the tree")); }
    var fn = index, sn = size - 1, r = Promise.resolve(leafHash), i = 0;
    function step(cur) {
      if (i === path.length) { return sn === 0 ? cur : Promise.reject(new Error("path too short")); }
      if (sn === 0) { return Promise.reject(new Error("path too long")); }
      var p = path[i++];
      var next;
      if ((fn & 1) || fn === sn) {
        next = sha256(cat(new Uint8Array([1]), p, cur));
        if (!(fn & 1)) { while (!(fn & 1) && fn !== 0) { fn >>= 1; sn >>= 1; } }
      } else {
        next = sha256(cat(new Uint8Array([1]), cur, p));
      }
      fn >>= 1; sn >>= 1;
      return next.then(step);
    }
    return r.then(step);
  }

  function say(id, ok, text) {
    var li = box.querySelector('[data-step="' + id + '"]');
    if (!li) { return; }
    li.setAttribute("data-ok", ok === null ? "skipped" : ok ? "yes" : "no");
    li.querySelector(".res").textContent = text;
  }

  function check() {
    var d = box.dataset, L = JSON.parse(d.labels);
    box.querySelectorAll("[data-step]").forEach(function (li) { li.removeAttribute("data-ok"); li.querySelector(".res").textContent = "…"; });
    var leaf = b64(d.leaf), index = parseInt(d.index, 10), size = parseInt(d.size, 10);
    var path = JSON.parse(d.path).map(unhex), note = d.note, vkey = d.vkey || "";
    var parts = note.split("\n\n"), body = parts[0] + "\n", lines = parts[0].split("\n");
    var noteSize = parseInt(lines[1], 10), noteRoot = b64(lines[2] || "");
    var verdict = box.querySelector(".verdict");
    return sha256(cat(new Uint8Array([0]), leaf)).then(function (lh) {
      say("leaf", true, L.leaf_hash + " " + hex(lh));
      return rootFromPath(index, size, lh, path);
    }).then(function (root) {
      var ok = noteSize === size && eq(root, noteRoot);
      say("root", ok, (ok ? L.root_ok : L.root_bad) + " " + hex(root));
      if (!ok) { throw new Error(L.root_bad); }
      return checkSignature(body, parts.slice(1).join("\n\n"), vkey, L);
    }).then(function (sig) {
      box.setAttribute("data-result", sig ? "pass" : "pass-unsigned");
      verdict.textContent = sig ? L.pass : L.pass_unsigned;
    }).catch(function (e) {
      box.setAttribute("data-result", "fail");
      verdict.textContent = L.fail + " " + e.message;
    });
  }

  // c2sp.org/signed-note: "— <name> base64(4-byte key ID || signature)"; vkey is
  // "<name>+<hex key ID>+base64(0x01 || 32-byte Ed25519 public key)".
  function checkSignature(body, sigs, vkey, L) {
    var v = vkey.split("+");
    if (v.length < 3) { say("sig", null, L.sig_nokey); return Promise.resolve(false); }
    var name = v[0], keyId = unhex(v[1]), raw = b64(v.slice(2).join("+"));
    var line = sigs.split("\n").filter(function (s) { return s.indexOf("\u2014 " + name + " ") === 0; })[0];
    if (!line) { say("sig", false, L.sig_missing); return Promise.reject(new Error(L.sig_missing)); }
    var blob = b64(line.slice(("\u2014 " + name + " ").length));
    if (!eq(blob.slice(0, 4), keyId.slice(0, 4)) || raw[0] !== 1) { say("sig", false, L.sig_bad); return Promise.reject(new Error(L.sig_bad)); }
    return crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]).then(function (key) {
      return crypto.subtle.verify({ name: "Ed25519" }, key, blob.slice(4), enc.encode(body));
    }, function () { return null; }).then(function (ok) {
      if (ok === null) { say("sig", null, L.sig_unsupported); return false; }
      say("sig", ok, ok ? L.sig_ok : L.sig_bad);
      if (!ok) { throw new Error(L.sig_bad); }
      return true;
    });
  }

  var btn = box.querySelector("button.run");
  if (btn) { btn.hidden = false; btn.addEventListener("click", check); }
  box.hidden = false;
  window.seawitnessCheckProof = check;
  check();
})();
