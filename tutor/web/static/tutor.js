// tutor's pages work without this script; with it, derivation steps appear one at a time and
// answers are graded in place. No framework, nothing loaded from elsewhere.
"use strict";
document.documentElement.classList.remove("no-js");

function setUpSteps() {
  const steps = Array.from(document.querySelectorAll("#derivation li.step"));
  const next = document.getElementById("next-step");
  const all = document.getElementById("all-steps");
  if (!steps.length || !next) return;
  let shown = 1;
  const update = () => {
    steps.forEach((s, k) => { s.hidden = k >= shown; });
    const done = shown >= steps.length;
    next.hidden = done;
    all.hidden = done;
    // (the words in the page's language, from the server: "Next step ({k} of {n})")
    next.textContent = next.dataset.label
      .replace("{k}", String(shown + 1)).replace("{n}", String(steps.length));
  };
  next.addEventListener("click", () => {
    shown += 1;
    update();
    steps[shown - 1].scrollIntoView({block: "nearest", behavior: "smooth"});
  });
  all.addEventListener("click", () => { shown = steps.length; update(); });
  update();
}

function setUpAnswers() {
  document.querySelectorAll("form.answer").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = form.querySelector("output");
      const button = form.querySelector("button");
      button.disabled = true;
      out.textContent = document.body.dataset.checking;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          headers: {"Accept": "application/json"},
          body: new URLSearchParams(new FormData(form)),
        });
        const data = await response.json();
        if (response.ok) {
          out.innerHTML = data.html;  // made by the server, every given text escaped
        } else {
          out.textContent = data.error;
          out.classList.add("error");
        }
        if (response.ok) out.classList.remove("error");
      } catch (err) {
        out.textContent = document.body.dataset.noAnswer;
      } finally {
        button.disabled = false;
      }
    });
  });
}

function setUpSamples() {
  // Choosing a sample shows its numbers at once; without a script the Show button does.
  document.querySelectorAll("form.samples select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
    select.form.querySelector("button").hidden = true;
  });
}

setUpSteps();
setUpAnswers();
setUpSamples();
