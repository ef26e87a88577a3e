// The 2AFC realism study of Zhang et al. / the KTH reproduction, section 5.3.
// Works from file:// (no server): trials come from trials.js, results leave as a download.
(function () {
  "use strict";
  var S = window.STUDY;
  var $ = function (id) { return document.getElementById(id); };
  var pid = "", order = [], trial = -1, hiddenAt = 0, accepting = false, rows = [];

  // Seeded generator (mulberry32 over a string hash): the same participant id gives
  // the same order and sides, so a session can be reproduced.
  function seeded(text) {
    var h = 1779033703 ^ text.length;
    for (var i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    return function () {
      h = (h + 0x6D2B79F5) | 0;
      var t = Math.imul(h ^ (h >>> 15), 1 | h);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // The id as typed, in any script (李 and 王 stay distinct), minus control characters;
  // one a spreadsheet would run as a formula (= + - @ first) gets a leading apostrophe.
  function participantId(text) {
    var id = text.normalize("NFC").replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 64);
    return /^[=+\-@]/.test(id) ? "'" + id : id;
  }

  // A CSV field, quoted when it holds a comma, quote or line break.
  function csvField(value) {
    var text = String(value);
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // A file name that keeps letters of any script and tells apart ids that differ only in
  // punctuation (a short hash of the whole id).
  function fileStem(id) {
    var h = 0;
    for (var i = 0; i < id.length; i++) { h = (Math.imul(h, 31) + id.charCodeAt(i)) >>> 0; }
    var safe = id.replace(/[^\p{L}\p{N}._-]/gu, "_").slice(0, 40);
    return safe + "_" + h.toString(36);
  }

  function show(id) {
    ["intro", "trial-screen", "done"].forEach(function (s) { $(s).hidden = s !== id; });
  }

  function start() {
    pid = participantId($("pid").value) || "p" + Date.now().toString(36);
    var rand = seeded(pid + ":" + S.seed);
    order = S.images.map(function (im) {
      return { id: im.id, real: im.real, fake: im.fake, realSide: rand() < 0.5 ? "left" : "right" };
    });
    for (var i = order.length - 1; i > 0; i--) {
      var j = Math.floor(rand() * (i + 1)), t = order[i]; order[i] = order[j]; order[j] = t;
    }
    show("trial-screen");
    next();
  }

  function load(img, src) {
    return new Promise(function (resolve) { img.onload = img.onerror = resolve; img.src = src; });
  }

  function next() {
    trial += 1;
    if (trial >= order.length) { return finish(); }
    var t = order[trial];
    $("progress").textContent = "Trial " + (trial + 1) + " of " + order.length;
    $("prompt").classList.add("invisible");
    var left = t.realSide === "left" ? t.real : t.fake, right = t.realSide === "left" ? t.fake : t.real;
    Promise.all([load($("img-left"), left), load($("img-right"), right)]).then(function () {
      $("img-left").classList.remove("hidden");
      $("img-right").classList.remove("hidden");
      document.body.dataset.phase = "showing";
      setTimeout(hide, S.displayMs);
    });
  }

  function hide() {
    $("img-left").classList.add("hidden");
    $("img-right").classList.add("hidden");
    $("prompt").classList.remove("invisible");
    document.body.dataset.phase = "answering";
    hiddenAt = performance.now();
    accepting = true;
  }

  function answer(side) {
    if (!accepting) { return; }
    accepting = false;
    var t = order[trial];
    rows.push([pid, trial + 1, t.id, t.realSide, side, Math.round(performance.now() - hiddenAt)]);
    document.body.dataset.phase = "between";
    setTimeout(next, 250);
  }

  function finish() {
    var csv = "participant,trial,image,real_side,answer,response_ms\n" +
      rows.map(function (r) { return r.map(csvField).join(","); }).join("\n") + "\n";
    var link = $("download");
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    link.download = "study_" + fileStem(pid) + ".csv";
    document.body.dataset.phase = "done";
    show("done");
    link.focus();
  }

  $("display-s").textContent = String(S.displayMs / 1000);
  $("n-trials").textContent = String(S.images.length);
  $("start").addEventListener("click", start);
  $("slot-left").addEventListener("click", function () { answer("left"); });
  $("slot-right").addEventListener("click", function () { answer("right"); });
  document.addEventListener("keydown", function (e) {
    if (!$("intro").hidden && e.key === "Enter") { e.preventDefault(); start(); }
    else if (!$("trial-screen").hidden && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
      e.preventDefault();
      answer(e.key === "ArrowLeft" ? "left" : "right");
    }
  });
  $("pid").focus();
}());
