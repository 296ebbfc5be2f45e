/* Cổng Một cửa: small enhancements; every page also works without JavaScript. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  /* Print buttons on Mẫu 01–03. */
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });

  /* The due time a dossier received now would get, shown as soon as a procedure is picked. */
  function setupDuePreview(select) {
    var box = document.querySelector("[data-due-preview]");
    if (!box) { return function () {}; }
    var value = box.querySelector("[data-due-value]");
    var days = box.querySelector("[data-due-days]");
    return function update() {
      if (!select.value) {
        showPapers([]);
        value.textContent = "Chọn thủ tục để xem ngày hẹn trả.";
        days.textContent = "";
        return;
      }
      fetch(box.dataset.url + "?procedure=" + encodeURIComponent(select.value), {
        headers: { "Accept": "application/json" }, credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
        .then(function (data) {
          showPapers(data.papers || []);
          value.textContent = data.due_at_long;
          days.textContent = data.processing_days === 0
            ? "Thủ tục giải quyết trong ngày."
            : "Thời hạn giải quyết: " + data.processing_days + " ngày làm việc.";
        })
        .catch(function () { value.textContent = "Không tính được ngày hẹn trả; hệ thống sẽ tính khi lưu."; });
    };
  }

  /* The procedure's required papers as checkboxes above "Thành phần hồ sơ đã nhận": ticking one writes its line
     into the text box, unticking takes it out; the box stays the record (and works without JavaScript). */
  function showPapers(papers) {
    var textarea = document.querySelector("textarea[name=papers]");
    var old = document.querySelector("[data-papers-checklist]");
    if (old) { old.remove(); }
    if (!textarea || !papers.length) { return; }
    var box = document.createElement("fieldset");
    box.className = "papers-checklist";
    box.setAttribute("data-papers-checklist", "");
    var legend = document.createElement("legend");
    legend.textContent = "Thành phần hồ sơ theo quy định (đánh dấu giấy tờ đã nhận)";
    box.appendChild(legend);
    var lines = function () { return textarea.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean); };
    papers.forEach(function (name, index) {
      var label = document.createElement("label");
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.id = "paper_" + index;
      tick.checked = lines().indexOf(name) !== -1;
      tick.addEventListener("change", function () {
        var kept = lines().filter(function (line) { return line !== name; });
        if (tick.checked) { kept.push(name); }
        textarea.value = kept.join("\n");
      });
      label.appendChild(tick);
      label.appendChild(document.createTextNode(" " + name));
      box.appendChild(label);
    });
    textarea.parentNode.insertBefore(box, textarea);
  }

  /* Procedure autocomplete: type code or name, with or without diacritics; ↑ ↓ to move, Enter to pick. */
  function setupProcedurePicker(box) {
    var select = box.querySelector("select");
    var updateDue = setupDuePreview(select);
    var input = document.createElement("input");
    var list = document.createElement("ul");
    var items = [];
    var active = -1;
    var lastQuery = null;

    input.type = "text";
    input.id = select.id + "_search";
    input.autocomplete = "off";
    input.placeholder = "Mã hoặc tên thủ tục, ví dụ: khai sinh, 1.000894";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", select.id + "_list");
    list.id = select.id + "_list";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;

    var label = box.querySelector("label");
    if (label) { label.htmlFor = input.id; }
    var autofocus = select.hasAttribute("autofocus");
    select.tabIndex = -1;
    select.removeAttribute("autofocus");
    if (select.selectedIndex > 0) { input.value = select.options[select.selectedIndex].text; }
    select.parentNode.insertBefore(input, select);
    box.appendChild(list);
    box.classList.add("enhanced");
    if (autofocus) { input.focus(); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var nodes = list.querySelectorAll("li[role=option]");
      if (!nodes.length) { return; }
      active = (index + nodes.length) % nodes.length;
      nodes.forEach(function (node, i) { node.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", nodes[active].id);
      nodes[active].scrollIntoView({ block: "nearest" });
    }

    function pick(index) {
      var item = items[index];
      if (!item) { return; }
      // The list's filter renders only the chosen option (no 187-option select): add the picked one.
      if (!Array.prototype.some.call(select.options, function (o) { return o.value === String(item.id); })) {
        select.add(new Option(item.code + " — " + item.name, String(item.id)));
      }
      select.value = String(item.id);
      input.value = item.code + " — " + item.name + " (" + item.processing_days + " ngày)";
      close();
      updateDue();
      var next = document.getElementById("id_applicant_name");
      if (next) { next.focus(); }
    }

    function render(results) {
      items = results;
      list.innerHTML = "";
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = "Không tìm thấy thủ tục phù hợp.";
        list.appendChild(none);
      }
      results.forEach(function (item, i) {
        var li = document.createElement("li");
        var meta = document.createElement("span");
        li.id = list.id + "_" + i;
        li.setAttribute("role", "option");
        li.title = item.name;
        var name = document.createElement("span");
        name.className = "name";
        name.textContent = item.name;
        li.appendChild(name);
        meta.className = "meta";
        meta.textContent = item.code + " · " + item.field + " · " +
          (item.processing_days ? item.processing_days + " ngày làm việc" : "trong ngày");
        li.appendChild(meta);
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (results.length) { highlight(0); }
    }

    var search = debounce(function () {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (!query) { close(); return; }
      fetch(box.dataset.searchUrl + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) { if (input.value.trim() === query) { render(data.results); } });
    }, 150);

    input.addEventListener("input", function () {
      // Typing again un-picks the procedure until a new one is chosen.
      if (select.value) { select.value = ""; updateDue(); }
      search();
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (open) { highlight(active + 1); } else { lastQuery = null; search(); }
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Enter") {
        if (open) { event.preventDefault(); pick(active < 0 ? 0 : active); }
        else if (!select.value && select.required) { event.preventDefault(); }
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    select.addEventListener("change", updateDue);
    if (select.value) { updateDue(); }
  }

  /* Ctrl+Enter in a textarea submits its form, like Enter in an input. */
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.tagName === "TEXTAREA" && event.target.form) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });

  /* An import job's progress: ask the small JSON endpoint every second; reload once there is a page to show. */
  function setupJobProgress(box) {
    var bar = box.querySelector("[data-progress-bar]");
    var text = box.querySelector("[data-progress-text]");
    if (!bar) { return; }  // the queue could not be reached: the page offers "Thử lại" instead
    var number = new Intl.NumberFormat("vi-VN");
    var failures = 0;
    function poll() {
      fetch(box.dataset.jobStatus, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response); })
        .then(function (data) {
          failures = 0;
          if (data.finished || !data.sent) { window.location.reload(); return; }
          var badge = document.querySelector("[data-job-badge] .badge");
          if (badge) { badge.textContent = data.checking ? "Đang kiểm tra tệp" : data.status_label; }
          bar.max = Math.max(data.total_rows, 1);
          bar.value = Math.min(data.processed_rows, bar.max);
          bar.textContent = data.progress + "%";
          if (data.status === "queued") {
            text.textContent = "Đang chờ tới lượt xử lý…";
          } else if (data.total_rows && data.processed_rows >= data.total_rows) {
            text.textContent = "Đã đọc hết " + number.format(data.total_rows) + " dòng, đang ghi vào cơ sở dữ liệu…";
          } else {
            text.textContent = "Đã đọc " + number.format(data.processed_rows) + " / " +
              number.format(data.total_rows) + " dòng (" + data.progress + "%).";
          }
          setTimeout(poll, 1000);
        })
        .catch(function () {
          // A dropped connection: keep trying, more slowly.
          failures += 1;
          setTimeout(poll, Math.min(1000 * (failures + 1), 10000));
        });
    }
    setTimeout(poll, 1000);
  }

  /* The upload form: refuse a file over the limit or of another kind before sending 50 MB for nothing. */
  function setupUploadForm(form) {
    var input = form.querySelector("input[type=file]");
    var error = form.querySelector("[data-upload-error]");
    if (!input || !error) { return; }
    input.addEventListener("change", function () {
      var file = input.files[0];
      var problem = "";
      if (file && !/\.(csv|xlsx)$/i.test(file.name)) {
        problem = "Chỉ nhận tệp CSV hoặc XLSX.";
      } else if (file && file.size > Number(input.dataset.maxBytes)) {
        problem = "Tệp nặng " + Math.round(file.size / 1048576) + " MB, tối đa 50 MB.";
      }
      input.setCustomValidity(problem);
      error.textContent = problem;
      error.hidden = !problem;
    });
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button && form.checkValidity()) { button.disabled = true; button.textContent = "Đang tải lên và kiểm tra…"; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-procedure-picker]").forEach(setupProcedurePicker);
    document.querySelectorAll("[data-job-status]").forEach(setupJobProgress);
    document.querySelectorAll("[data-upload-form]").forEach(setupUploadForm);
  });
})();
