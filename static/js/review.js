// While a review reads the campaign's records (the form's POST), show how far the read is.
(function () {
  "use strict";
  const lang = document.documentElement.lang || undefined;

  document.querySelectorAll("form.review-form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function () {
      const note = form.querySelector(".review-progress");
      if (!note) return;
      note.hidden = false;
      const pattern = note.dataset.of;
      const poll = function () {
        fetch(form.dataset.progress, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : {}; })
          .then(function (progress) {
            if (progress.total) {
              note.textContent = pattern
                .replace("{read}", progress.read.toLocaleString(lang))
                .replace("{total}", progress.total.toLocaleString(lang));
            }
          })
          .catch(function () {});
      };
      window.setInterval(poll, 500);
    });
  });
})();
