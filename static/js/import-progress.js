// Polls the import job's progress and updates the bar; reloads the page when the job finishes.
// The labels come from data attributes on #import-job, so they stay translated by the template.
(function () {
    "use strict";
    var root = document.getElementById("import-job");
    if (!root || root.dataset.running !== "1") { return; }
    var bar = document.getElementById("import-progress");
    var percent = document.getElementById("import-percent");
    var status = document.getElementById("import-status");
    var rows = document.getElementById("import-rows");
    function showProgress(data) {
        bar.value = data.percent;
        percent.textContent = data.percent + " %";
        status.textContent = data.status_label;
        rows.textContent = root.dataset.labelChecked + " " + data.rows_checked + " · " +
            root.dataset.labelDone + " " + data.rows_done + "/" + (data.total_rows || "?");
    }
    function poll() {
        fetch(root.dataset.progressUrl, {credentials: "same-origin"})
            .then(function (response) { return response.json(); })
            .then(function (data) {
                showProgress(data);
                if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
            })
            .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
})();
