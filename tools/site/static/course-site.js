// Sliders over outputs computed when the site was built (no kernel, no network).
document.querySelectorAll(".course-frames").forEach(function (box) {
  var input = box.querySelector("input[type=range]");
  var shown = box.querySelector("output");
  var frames = box.querySelectorAll(".course-frame");
  function show() {
    var i = Number(input.value);
    frames.forEach(function (frame, k) { frame.hidden = k !== i; });
    shown.textContent = frames[i].dataset.value;
    input.setAttribute("aria-valuetext", frames[i].dataset.value);
  }
  input.addEventListener("input", show);
  show();
});
