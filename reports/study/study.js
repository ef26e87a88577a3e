// The 2AFC realism study of Zhang et al. / the KTH reproduction, section 5.3, after Zhang's
// AMT protocol: practice trials with feedback, then the scored trials of one method with
// vigilance trials mixed in. Served by `python -m colorization study serve`, the answers are
// posted to the server; opened from disk (file://), they leave as a download.
(function () {
  "use strict";
  var S = window.STUDY;
  var $ = function (id) { return document.getElementById(id); };
  var served = location.protocol === "http:" || location.protocol === "https:";
  var pid = "", method = "", order = [], trial = -1, hiddenAt = 0, accepting = false, rows = [], csv = "";

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

  // The id as the server and the analysis compare it: NFC, no control characters, trimmed,
  // case kept, in any script (李 and 王 stay distinct); one a spreadsheet would run as a
  // formula (= + - @ first) gets a leading apostrophe.
  function participantId(text) {
    var id = text.normalize("NFC").replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim().slice(0, 64);
    return /^[=+\-@]/.test(id) ? "'" + id : id;
  }

  function csvField(value) {
    var text = String(value);
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // A file name that keeps letters of any script and tells apart ids that differ only in
  // punctuation (a short hash of the whole id).
  function fileStem(id) {
    var h = 0;
    for (var i = 0; i < id.length; i++) { h = (Math.imul(h, 31) + id.charCodeAt(i)) >>> 0; }
    return id.replace(/[^\p{L}\p{N}._-]/gu, "_").slice(0, 40) + "_" + h.toString(36);
  }

  function show(id) {
    ["intro", "trial-screen", "interlude", "done"].forEach(function (s) { $(s).hidden = s !== id; });
  }

  function shuffled(items, rand) {
    var out = items.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(rand() * (i + 1)), t = out[i]; out[i] = out[j]; out[j] = t;
    }
    return out;
  }

  // One method per session: the server balances them over participants; from disk, the id picks.
  function chooseMethod() {
    var fallback = S.methods[Math.floor(seeded(pid + ":method:" + S.seed)() * S.methods.length)];
    if (!served || S.methods.length === 1) { return Promise.resolve(fallback); }
    return fetch("method?participant=" + encodeURIComponent(pid), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : { method: fallback }; })
      .then(function (d) { return S.methods.indexOf(d.method) >= 0 ? d.method : fallback; })
      .catch(function () { return fallback; });
  }

  function start() {
    if (pid) { return; }
    pid = participantId($("pid").value) || "p" + Date.now().toString(36);
    $("start").disabled = true;
    chooseMethod().then(function (m) {
      method = m;
      var rand = seeded(pid + ":" + S.seed);
      var trials = function (list, kind) {
        return list.map(function (im) {
          return { id: im.id, real: im.real, fake: im.fake, kind: kind, realSide: rand() < 0.5 ? "left" : "right" };
        });
      };
      var practice = shuffled(trials(S.trials["practice:" + method], "practice"), rand);
      var main = shuffled(trials(S.trials["scored:" + method], "scored").concat(trials(S.trials.vigilance, "vigilance")),
                          rand);
      order = practice.concat(main);
      document.body.dataset.method = method;
      show("trial-screen");
      next();
    });
  }

  function load(img, src) {
    return new Promise(function (resolve) { img.onload = img.onerror = resolve; img.src = src; });
  }

  function label(t) {
    var nPractice = S.trials["practice:" + method].length;
    return t.kind === "practice" ? "Practice " + (trial + 1) + " of " + nPractice
                                 : "Trial " + (trial + 1 - nPractice) + " of " + (order.length - nPractice);
  }

  function next() {
    trial += 1;
    if (trial >= order.length) { return finish(); }
    var t = order[trial];
    if (t.kind !== "practice" && trial > 0 && order[trial - 1].kind === "practice" && !$("interlude").dataset.seen) {
      $("interlude").dataset.seen = "1";
      trial -= 1;
      document.body.dataset.phase = "interlude";
      show("interlude");
      $("continue").focus();
      return;
    }
    show("trial-screen");
    $("progress").textContent = label(t);
    $("prompt").classList.add("invisible");
    $("feedback").textContent = "";
    var left = t.realSide === "left" ? t.real : t.fake, right = t.realSide === "left" ? t.fake : t.real;
    Promise.all([load($("img-left"), left), load($("img-right"), right)]).then(function () {
      $("img-left").classList.remove("hidden");
      $("img-right").classList.remove("hidden");
      document.body.dataset.phase = "showing";
      document.body.dataset.kind = t.kind;
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
    rows.push([pid, trial + 1, t.id, t.realSide, side, Math.round(performance.now() - hiddenAt), t.kind, method]);
    if (t.kind === "practice") {
      $("feedback").textContent = side === t.realSide ? "Right: that was the real photo."
                                                     : "Not this time: the real photo was on the " + t.realSide + ".";
      document.body.dataset.phase = "feedback";
      setTimeout(next, S.feedbackMs);
    } else {
      document.body.dataset.phase = "between";
      setTimeout(next, 250);
    }
  }

  function finish() {
    csv = "participant,trial,image,real_side,answer,response_ms,kind,method\n" +
      rows.map(function (r) { return r.map(csvField).join(","); }).join("\n") + "\n";
    var link = $("download");
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    link.download = "study_" + fileStem(pid) + ".csv";
    show("done");
    if (!served) { return stored("offline", "Please download your results and send the file to the person " +
                                            "running the study."); }
    $("status").textContent = "Sending your answers...";
    fetch("responses", { method: "POST", headers: { "Content-Type": "text/csv" }, body: csv })
      .then(function (r) {
        return r.text().then(function (text) {
          if (r.status === 201) { stored("yes", "Your answers were stored."); }
          else { stored("no", "Your answers could not be stored (" + text + "). Please download them and send " +
                              "the file to the person running the study."); }
        });
      })
      .catch(function () {
        stored("no", "The server could not be reached. Please download your results and send the file to the " +
                     "person running the study.");
      });
  }

  function stored(state, text) {
    $("status").textContent = text;
    $("download").hidden = state === "yes";
    document.body.dataset.stored = state;
    document.body.dataset.phase = "done";
    if (state !== "yes") { $("download").focus(); }
  }

  $("display-s").textContent = String(S.displayMs / 1000);
  $("n-trials").textContent = String(S.trials["scored:" + S.methods[0]].length + S.trials.vigilance.length);
  $("n-practice").textContent = String(S.trials["practice:" + S.methods[0]].length);
  $("start").addEventListener("click", start);
  $("continue").addEventListener("click", next);
  $("slot-left").addEventListener("click", function () { answer("left"); });
  $("slot-right").addEventListener("click", function () { answer("right"); });
  document.addEventListener("keydown", function (e) {
    if (!$("intro").hidden && e.key === "Enter") { e.preventDefault(); start(); }
    else if (!$("interlude").hidden && e.key === "Enter") { e.preventDefault(); next(); }
    else if (!$("trial-screen").hidden && (e.key === "ArrowLeft" || e.key === "ArrowRight")) {
      e.preventDefault();
      answer(e.key === "ArrowLeft" ? "left" : "right");
    }
  });
  $("pid").focus();
}());
