// The page behind `selfeval serve`. Plain script, no libraries, nothing fetched from outside.
//
// Every text that comes from a workbook is put on the page with textContent, never as HTML.
// The server keeps nothing: the page keeps the File objects and posts them again to download
// a corrected copy or the batch zip.
'use strict';

(function () {
  const EXTENSIONS = ['.xlsx', '.xlsm', '.xls', '.ods'];
  // One request per file, a few at a time: progress is real, results appear as they come, and
  // a batch never meets the per-request limits.
  const PARALLEL = 2;
  const MAX_RETRIES = 120;

  const $ = (id) => document.getElementById(id);
  const state = {
    entries: [],
    queue: [],
    running: 0,
    total: 0,
    done: 0,
    limits: null,
    seq: 0,
  };

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function isWorkbook(name) {
    const n = name.toLowerCase();
    return EXTENSIONS.some((x) => n.endsWith(x));
  }

  function sizeText(bytes) {
    if (bytes >= 1048576) return Math.round(bytes / 1048576) + ' MB';
    return Math.max(1, Math.round(bytes / 1024)) + ' KB';
  }

  // ---- adding files ------------------------------------------------------------------

  // Where a file came from: its path inside a dropped or chosen folder, else its name. Two
  // files of one name from two folders are two files; one file dropped again (corrected by
  // the department) replaces its earlier result.
  function pathOf(file) {
    return file.folderPath || file.webkitRelativePath || file.name;
  }

  function addFiles(list) {
    const files = Array.from(list || []);
    if (!files.length) return;
    for (const file of files) {
      // What else a chosen or dropped folder holds is not the clerk's to see.
      if (pathOf(file) !== file.name && !isWorkbook(file.name)) continue;
      const old = state.entries.findIndex((e) => pathOf(e.file) === pathOf(file));
      if (old >= 0) {
        state.entries[old].removed = true;
        state.entries[old].card.remove();
        state.entries.splice(old, 1);
      }
      const entry = {
        id: ++state.seq,
        file,
        result: null,
        error: null,
        progress: 0,
        retries: 0,
        removed: false,
        tooLarge: false,
        card: null,
      };
      entry.card = el('article', 'file');
      entry.card.dataset.name = pathOf(file);
      state.entries.push(entry);
      $('results').appendChild(entry.card);
      const limits = state.limits;
      if (!isWorkbook(file.name)) {
        entry.error = '不是工作簿文件，未上传（只接受 .xlsx .xlsm .xls .ods）';
        entry.notWorkbook = true;
      } else if (limits && file.size > limits.max_upload_bytes) {
        // The server would refuse it too (413); say so without sending it.
        entry.error = '文件超过 ' + sizeText(limits.max_upload_bytes) + ' 的上限，未上传';
        entry.tooLarge = true;
      } else {
        state.queue.push(entry);
        state.total += 1;
      }
      render(entry);
    }
    $('drop').classList.add('compact');
    pump();
    showProgress();
    showOverview();
  }

  // A drop may hold folders: every file under them is added with its path.
  function dropped(data) {
    const entries = Array.from(data.items || [])
      .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
      .filter(Boolean);
    if (!entries.some((e) => e.isDirectory)) {
      addFiles(data.files);
      return;
    }
    const found = [];
    const walk = (entry) =>
      new Promise((resolve) => {
        if (entry.isFile) {
          entry.file((file) => {
            file.folderPath = entry.fullPath.replace(/^\//, '');
            found.push(file);
            resolve();
          }, () => resolve());
          return;
        }
        // A folder's reader gives its entries a batch at a time, until an empty one.
        const reader = entry.createReader();
        const next = () =>
          reader.readEntries((batch) => {
            if (!batch.length) return resolve();
            Promise.all(batch.map(walk)).then(next);
          }, () => resolve());
        next();
      });
    Promise.all(entries.map(walk)).then(() => addFiles(found));
  }

  // ---- checking ----------------------------------------------------------------------

  function pump() {
    while (state.running < PARALLEL && state.queue.length) {
      const entry = state.queue.shift();
      if (entry.removed) {
        state.done += 1;
        continue;
      }
      state.running += 1;
      send(entry);
    }
  }

  function finished(entry) {
    state.running -= 1;
    state.done += 1;
    entry.progress = 1;
    if (!entry.removed) render(entry);
    pump();
    showProgress();
    showOverview();
  }

  function send(entry) {
    const form = new FormData();
    form.append('files', entry.file, entry.file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/check');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) {
        // Uploading is most of the wait on a slow network; checking is the last stretch.
        entry.progress = 0.9 * (e.loaded / e.total);
        showProgress();
      }
    };
    xhr.onload = () => {
      if (xhr.status === 429 && entry.retries < MAX_RETRIES && !entry.removed) {
        // The server is busy: try again shortly, as it asks.
        entry.retries += 1;
        entry.progress = 0;
        const wait = (parseInt(xhr.getResponseHeader('Retry-After'), 10) || 1) * 1000;
        setTimeout(() => send(entry), wait);
        return;
      }
      if (xhr.status === 200) {
        try {
          const report = JSON.parse(xhr.responseText);
          entry.result = report.files[0];
        } catch (err) {
          entry.error = '核查服务的回答无法读取 (unreadable answer)';
        }
      } else {
        entry.error = reasonOf(xhr.status, xhr.responseText);
      }
      finished(entry);
    };
    xhr.onerror = () => {
      entry.error = '无法连接核查服务，请检查网络后重试 (network error)';
      finished(entry);
    };
    xhr.send(form);
  }

  function reasonOf(status, text) {
    try {
      const body = JSON.parse(text);
      if (body && body.error) return body.error;
    } catch (err) {
      // Not JSON: a proxy's page, say. The status still tells what happened.
    }
    return '核查服务返回 ' + status;
  }

  // ---- progress and overview ---------------------------------------------------------

  function showProgress() {
    const box = $('progress');
    const busy = state.running > 0 || state.queue.length > 0;
    if (!busy) {
      box.hidden = true;
      state.total = 0;
      state.done = 0;
      return;
    }
    let partial = 0;
    for (const e of state.entries) {
      if (!e.result && !e.error && !e.removed) partial += e.progress;
    }
    const fraction = state.total ? Math.min(1, (state.done + partial) / state.total) : 0;
    box.hidden = false;
    $('progress-bar').value = fraction;
    $('progress-text').textContent =
      '正在核查 ' + Math.min(state.done + 1, state.total) + ' / ' + state.total + ' 个文件…';
  }

  function counts() {
    const c = {
      files: 0, wrong: 0, passed: 0, unreadable: 0, unsent: 0, errors: 0, warnings: 0, checkable: 0,
    };
    for (const e of state.entries) {
      if (!e.result && !e.error) continue;
      c.files += 1;
      const s = statusOf(e);
      c[s.key] += 1;
      if (e.result) {
        for (const f of e.result.forms || []) {
          c.errors += f.errors;
          c.warnings += f.warnings;
        }
      }
    }
    c.checkable = zippable().length;
    return c;
  }

  function zippable() {
    return state.entries.filter((e) => isWorkbook(e.file.name) && !e.tooLarge);
  }

  function showOverview() {
    const c = counts();
    const box = $('overview');
    box.hidden = state.entries.length === 0;
    $('overview-text').textContent =
      '已核查 ' + (c.files - c.unsent) + ' 个文件：有误 ' + c.wrong + '，通过 ' + c.passed +
      '，无法读取 ' + c.unreadable + (c.unsent ? '，未上传 ' + c.unsent : '') +
      '；共 ' + c.errors + ' 处错误，' + c.warnings + ' 处警告';
    const busy = state.running > 0 || state.queue.length > 0;
    $('zip').hidden = c.checkable < 2;
    $('zip').disabled = busy;
  }

  // ---- one file's card ---------------------------------------------------------------

  function statusOf(entry) {
    if (!entry.result && !entry.error) return { key: 'pending', label: '等待核查' };
    // Refused by the page itself, before any upload: nothing about the file is known.
    if (entry.tooLarge || entry.notWorkbook) return { key: 'unsent', label: '未上传' };
    const r = entry.result;
    if (entry.error || !r || r.error || !(r.forms || []).length) {
      return { key: 'unreadable', label: '无法读取' };
    }
    const errors = r.forms.reduce((n, f) => n + f.errors, 0);
    const warnings = r.forms.reduce((n, f) => n + f.warnings, 0);
    if (errors > 0) return { key: 'wrong', label: '有误：' + errors + ' 处错误' };
    return { key: 'passed', label: warnings ? '通过（' + warnings + ' 处警告）' : '通过' };
  }

  function render(entry) {
    const card = entry.card;
    card.replaceChildren();
    const status = statusOf(entry);
    card.className = 'file ' + status.key;
    const head = el('header');
    head.appendChild(el('h2', null, pathOf(entry.file)));
    head.appendChild(el('span', 'badge ' + status.key, status.label));
    const r = entry.result;
    if (r && r.output && !r.error) {
      const button = el('button', 'button primary download', '下载更正后的工作簿');
      button.type = 'button';
      button.addEventListener('click', () =>
        download('/api/corrected', [entry.file], r.output, button, card));
      head.appendChild(button);
    }
    card.appendChild(head);
    if (entry.error) card.appendChild(el('p', 'reason', entry.error));
    if (!r) return;
    if (r.error) card.appendChild(el('p', 'reason', '无法核查：' + r.error));
    if (r.write_error) card.appendChild(el('p', 'reason', '未能生成更正副本：' + r.write_error));
    for (const form of r.forms || []) card.appendChild(formSection(form));
    if ((r.skipped || []).length) {
      const names = r.skipped.map((s) => '“' + s.sheet + '”（' + s.reason + '）').join('；');
      card.appendChild(el('p', 'skipped', '未当作自评表的工作表：' + names));
    }
  }

  function formSection(form) {
    const box = el('section', 'form');
    box.dataset.sheet = form.sheet;
    box.appendChild(el('h3', null, '工作表“' + form.sheet + '”　' + (form.project || '（未填项目名称）')));
    const meta = [];
    if (form.department) meta.push('主管部门：' + form.department);
    if (form.unit) meta.push('实施单位：' + form.unit);
    if (form.year) meta.push(form.year + ' 年度');
    if (form.family_label) meta.push('格式：' + form.family_label);
    if (meta.length) box.appendChild(el('p', 'meta', meta.join('　')));

    // A recomputed value is marked only where a written one is wrong, not where rounding
    // explains the difference.
    const wrong = (...codes) =>
      (form.findings || []).some((f) => f.severity === 'error' && codes.includes(f.code));
    const totals = el('div', 'totals');
    totals.appendChild(pair('总分', form.claimed_total, form.total, wrong('total-sum', 'total-score')));
    totals.appendChild(pair('等级', form.claimed_grade, form.grade, wrong('grade')));
    if (form.execution) {
      const e = form.execution;
      totals.appendChild(pair('预算执行率', e.claimed_rate, e.rate, wrong('exec-rate')));
      totals.appendChild(pair('执行得分', e.claimed_score, e.score, wrong('exec-score')));
    }
    const count = el('span');
    count.appendChild(el('b', null, '问题'));
    count.appendChild(document.createTextNode('错误 ' + form.errors + '，警告 ' + form.warnings));
    totals.appendChild(count);
    box.appendChild(totals);

    const findings = form.findings || [];
    const serious = findings.filter((f) => f.severity !== 'note').length;
    if (!serious) box.appendChild(el('p', 'none', '未发现错误或警告。'));
    if (findings.length) box.appendChild(findingsTable(form, findings, serious === 0));
    return box;
  }

  // `填报 99.95 → 核定 99.97`; the recomputed value is marked when the written one is wrong.
  function pair(label, claimed, recomputed, marked) {
    const span = el('span');
    span.appendChild(el('b', null, label));
    const written = claimed === null || claimed === undefined || claimed === '' ? '未填' : claimed;
    span.appendChild(document.createTextNode('填报 ' + written + ' → 核定 '));
    const value = el('strong', null, recomputed === null || recomputed === undefined ? '—' : recomputed);
    if (marked) value.className = 'changed';
    span.appendChild(value);
    return span;
  }

  const SEVERITY = { error: '错误', warning: '警告', note: '提示' };
  // Findings that do not sit on an indicator row, named by what they are about.
  const SUBJECT = {
    'total-sum': '总分', 'total-score': '总分', grade: '绩效结论', 'grade-unknown': '绩效结论',
    'weight-sum': '分值合计', 'funding-sum': '项目资金', 'exec-rate': '预算执行率',
    'exec-score': '预算执行得分', 'exec-zero-budget': '预算执行率', 'exec-no-budget': '预算执行率',
    'over-budget': '预算执行', 'subrow-score': '项目资金', 'missing-block': '表格结构',
    'several-forms': '表格结构',
    'l1-weights': '一级指标分值', 'l1-points': '一级指标分值',
  };

  function rowOf(cell) {
    const m = /^[A-Za-z]+(\d+)$/.exec(cell || '');
    return m ? parseInt(m[1], 10) : -1;
  }

  function subjectOf(form, finding) {
    const row = rowOf(finding.cell);
    const ind = (form.indicators || []).find((i) => rowOf(i.cell) === row);
    if (finding.sheet === form.sheet) {
      if (ind) return ind.name;
      if (form.execution && rowOf(form.execution.cell) === row) return '预算执行';
    }
    return SUBJECT[finding.code] || '';
  }

  function findingsTable(form, findings, notesOnly) {
    const table = el('table', 'findings' + (notesOnly ? ' notes-only' : ''));
    const cols = el('colgroup');
    for (const c of ['sev', 'cell', 'ind', 'val', 'val', 'msg']) cols.appendChild(el('col', c));
    table.appendChild(cols);
    const head = el('tr');
    for (const h of ['级别', '单元格', '指标', '原填报', '应为', '说明']) head.appendChild(el('th', null, h));
    table.appendChild(el('thead')).appendChild(head);
    const body = el('tbody');
    for (const f of findings) {
      const tr = el('tr', f.severity);
      tr.dataset.cell = f.cell;
      tr.dataset.code = f.code;
      tr.appendChild(el('td', 'sev', SEVERITY[f.severity] || f.severity));
      tr.appendChild(el('td', 'cell', f.sheet === form.sheet ? f.cell : f.sheet + '!' + f.cell));
      tr.appendChild(el('td', 'ind', subjectOf(form, f)));
      tr.appendChild(el('td', 'claimed', f.claimed));
      tr.appendChild(el('td', 'expected', f.expected));
      const msg = el('td', 'msg', f.message);
      msg.appendChild(el('span', 'code', f.code));
      tr.appendChild(msg);
      body.appendChild(tr);
    }
    table.appendChild(body);
    return table;
  }

  // ---- downloads ---------------------------------------------------------------------

  async function download(url, files, fallbackName, button, card, books) {
    const label = button.textContent;
    button.disabled = true;
    button.textContent = '正在生成…';
    clearMessage(card);
    try {
      const form = new FormData();
      for (const f of files) form.append('files', f, f.name);
      // The bureau's own books, sent in parts of their own names.
      for (const [part, f] of Object.entries(books || {})) {
        if (f) form.append(part, f, f.name);
      }
      const response = await fetch(url, { method: 'POST', body: form });
      if (!response.ok) {
        showMessage(card, reasonOf(response.status, await response.text()));
        return;
      }
      const blob = await response.blob();
      save(blob, nameFrom(response.headers.get('Content-Disposition')) || fallbackName);
    } catch (err) {
      showMessage(card, '无法连接核查服务，请检查网络后重试 (network error)');
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  function nameFrom(disposition) {
    const m = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
    if (!m) return null;
    try {
      return decodeURIComponent(m[1]);
    } catch (err) {
      return null;
    }
  }

  function save(blob, name) {
    const link = el('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    setTimeout(() => {
      URL.revokeObjectURL(link.href);
      link.remove();
    }, 60000);
  }

  function showMessage(where, text) {
    if (where === null) {
      $('overview-message').textContent = text;
      $('overview-message').hidden = false;
      return;
    }
    let p = where.querySelector('p.download-error');
    if (!p) {
      p = el('p', 'reason download-error');
      where.appendChild(p);
    }
    p.textContent = '下载失败：' + text;
  }

  function clearMessage(where) {
    if (where === null) {
      $('overview-message').hidden = true;
      return;
    }
    const p = where.querySelector('p.download-error');
    if (p) p.remove();
  }

  function downloadZip() {
    // Unreadable files go in too (the summary lists them); files already refused as too large
    // would only make the server refuse the whole batch.
    const files = zippable().map((e) => e.file);
    const limits = state.limits;
    if (limits) {
      const bytes = files.reduce((n, f) => n + f.size, 0);
      if (files.length > limits.max_files) {
        showMessage(null, '一次最多打包 ' + limits.max_files + ' 个文件，请分批（清空后再拖入）。');
        return;
      }
      if (bytes > limits.max_upload_bytes) {
        showMessage(null, '文件合计超过 ' + sizeText(limits.max_upload_bytes) + '，请分批（清空后再拖入）。');
        return;
      }
    }
    const books = { ledger: $('ledger-picker').files[0], targets: $('targets-picker').files[0] };
    download('/api/batch', files, '核查结果.zip', $('zip'), null, books);
  }

  // ---- wiring ------------------------------------------------------------------------

  function clearAll() {
    for (const e of state.entries) e.removed = true;
    state.entries = [];
    state.queue = [];
    $('results').replaceChildren();
    $('drop').classList.remove('compact');
    clearMessage(null);
    showProgress();
    showOverview();
  }

  function hasFiles(event) {
    const types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.from(types).includes('Files');
  }

  function init() {
    const drop = $('drop');
    const folders = $('folder-picker');
    folders.addEventListener('change', () => {
      addFiles(folders.files);
      folders.value = '';
    });
    const picker = $('picker');
    picker.addEventListener('change', () => {
      addFiles(picker.files);
      picker.value = '';
    });
    drop.addEventListener('click', (e) => {
      if (!e.target.closest('label, input')) picker.click();
    });
    drop.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        picker.click();
      }
    });
    // The whole window takes a drop, so a file let go beside the zone is not opened by the
    // browser in place of the page.
    let depth = 0;
    window.addEventListener('dragenter', (e) => {
      if (!hasFiles(e)) return;
      depth += 1;
      drop.classList.add('over');
    });
    window.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (!depth) drop.classList.remove('over');
    });
    window.addEventListener('dragover', (e) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    });
    window.addEventListener('drop', (e) => {
      e.preventDefault();
      depth = 0;
      drop.classList.remove('over');
      if (e.dataTransfer) dropped(e.dataTransfer);
    });
    $('show-notes').addEventListener('change', (e) => {
      $('results').classList.toggle('hide-notes', !e.target.checked);
    });
    $('zip').addEventListener('click', downloadZip);
    $('clear').addEventListener('click', clearAll);

    fetch('/api/limits')
      .then((r) => (r.ok ? r.json() : null))
      .then((limits) => {
        if (!limits) return;
        state.limits = limits;
        $('limits').textContent =
          '每次最多 ' + limits.max_files + ' 个文件、合计 ' + sizeText(limits.max_upload_bytes) +
          '。文件只用于本次核查，核查后即丢弃。';
        $('profile').textContent = '核查口径：' + (limits.profile_title || limits.profile);
      })
      .catch(() => {});
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
