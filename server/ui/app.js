// Gatehouse device UI: one page, hash routes, no dependencies. Every text
// from the device goes in with textContent, never as markup. The UI shows
// only what the role may do; the API refuses the rest on its own.
'use strict';
(function () {
  const main = document.getElementById('main');
  const RANK = { viewer: 1, operator: 2, admin: 3 };
  let me = null;    // GET /api/whoami
  let shown = 0;    // counts renders, so a late answer never paints over a newer page

  // ---- small helpers ----

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'value') el.value = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid != null && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  async function api(method, path, body, type) {
    const opt = { method, cache: 'no-store', credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      opt.body = body;
      opt.headers['Content-Type'] = type || 'application/json';
    }
    let res;
    try {
      res = await fetch(path, opt);
    } catch (e) {
      return { status: 0, ok: false, data: { error: 'The device did not answer. Check the network and your certificate, then reload.' } };
    }
    const text = await res.text().catch(() => '');
    let data = null;
    if ((res.headers.get('Content-Type') || '').includes('json')) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    return { status: res.status, ok: res.ok, data, text };
  }

  const can = (role) => me && RANK[me.role] >= RANK[role];
  const errText = (r) => (r.data && r.data.error) || 'The device answered ' + r.status + '.';
  const cn = (dn) => { const m = /(?:^|,)\s*CN=((?:\\,|[^,])+)/.exec(dn || ''); return m ? m[1].replace(/\\,/g, ',') : dn || '?'; };
  const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many || one + 's');

  function box(kind, title, ...body) {
    return h('div', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, h('strong', null, title), body.filter((b) => b).map((b) => (typeof b === 'string' ? h('p', null, b) : b)));
  }
  function head(title, ...tools) {
    return h('div', { class: 'head' }, h('h1', null, title), h('div', { class: 'tools' }, tools));
  }
  function card(title, ...kids) {
    return h('section', { class: 'card', 'aria-label': title }, h('h2', null, title), kids);
  }
  function dl(rows) {
    return h('dl', null, rows.filter((r) => r).map(([k, v, cls]) => [h('dt', null, k), h('dd', cls ? { class: cls } : null, v == null || v === '' ? '—' : v)]));
  }
  function refresh() {
    return h('button', { type: 'button', onclick: () => route(false) }, 'Refresh');
  }

  function duration(s) {
    const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) return d + ' d ' + hr + ' h ' + m + ' min';
    if (hr) return hr + ' h ' + m + ' min';
    return m + ' min ' + (s % 60) + ' s';
  }
  function kib(kb) {
    if (kb >= 1048576) return (kb / 1048576).toFixed(1) + ' GiB';
    if (kb >= 1024) return (kb / 1024).toFixed(0) + ' MiB';
    return kb + ' KiB';
  }
  function date(epoch) {
    return new Date(epoch * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }

  // which clock certificates are judged against (the system's, or the floor while it reads earlier)
  function clockLine(c) {
    if (!c) return null;
    const text = c.source === 'floor'
      ? 'Clock unknown: the system clock reads ' + date(c.system) + ', earlier than the floor; certificates are judged against ' + date(c.floor) + '.'
      : 'Clock: the system clock, ' + date(c.now) + '.';
    return h('p', { class: 'muted small', id: 'clock' }, text);
  }

  // ---- header and navigation ----

  function showWho() {
    const who = document.getElementById('who');
    who.replaceChildren('Signed in as ', h('strong', null, cn(me.subject)), ' ', h('span', { class: 'role role-' + me.role }, me.role));
    for (const a of document.querySelectorAll('[data-admin]')) a.hidden = me.role !== 'admin';
  }

  const pages = { status: pageStatus, identity: pageIdentity, access: pageAccess, audit: pageAudit, settings: pageSettings };
  const titles = { status: 'Status', identity: 'Identity', access: 'Access', audit: 'Audit', settings: 'Settings' };

  async function route(focus) {
    const m = /^#\/([a-z]+)/.exec(location.hash);
    const name = m && pages[m[1]] ? m[1] : 'status';
    for (const a of document.querySelectorAll('.nav a')) {
      if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = titles[name] + ' · Gatehouse';
    const mine = ++shown;
    const view = h('div', { class: 'view', id: 'page-' + name });
    main.setAttribute('aria-busy', 'true');
    try {
      await pages[name](view);
    } catch (e) {
      view.append(box('error', 'This page failed.', String(e && e.message ? e.message : e)));
    }
    if (mine !== shown) return;
    main.replaceChildren(view);
    main.removeAttribute('aria-busy');
    if (focus) main.focus();
  }

  // ---- Status ----

  async function pageStatus(v) {
    const r = await api('GET', '/api/status');
    v.append(head('Status', refresh()));
    if (!r.ok) return v.append(box('error', 'No status.', errText(r)));
    const s = r.data, g = s.gatehouse || {};
    const total = s.mem_total_kb, used = Math.max(0, total - s.mem_available_kb);
    const pct = total ? Math.round((100 * used) / total) : 0;
    const load = (x) => Number(x).toFixed(2);
    v.append(h('div', { class: 'grid' },
      card('Device', dl([['Model', s.model], ['Serial number', s.serial], ['Firmware', 'Gatehouse ' + s.firmware_version], ['System', s.os]])),
      card('Uptime', h('p', { class: 'big', id: 'uptime' }, duration(s.uptime_s)), h('p', { class: 'muted small' }, 'Up since ' + date(s.time - s.uptime_s)), clockLine(s.clock)),
      card('Memory',
        h('p', { class: 'big' }, pct + ' % in use'),
        h('meter', { min: 0, max: total, value: used, high: Math.round(total * 0.9), 'aria-label': 'Memory in use' }),
        h('p', { class: 'muted small' }, kib(used) + ' of ' + kib(total) + ' in use; ' + kib(s.mem_available_kb) + ' available')),
      card('Load', h('p', { class: 'big' }, load(s.load1)), h('p', { class: 'muted small' }, '1 min ' + load(s.load1) + ' · 5 min ' + load(s.load5) + ' · 15 min ' + load(s.load15))),
      card('Access control', dl([['Mappings', String(g.mappings)], ['Table generation', String(g.generation)], ['Audit records', String(g.audit_records)], ['Gatehouse', g.version]]))));
    const rows = (s.interfaces || []).map((i) => h('tr', null,
      h('td', { 'data-label': 'Interface' }, h('strong', null, i.name)),
      h('td', { 'data-label': 'State' }, h('span', { class: i.up ? 'up' : 'down' }, i.up ? 'up' : 'down')),
      h('td', { 'data-label': 'MAC', class: 'addr' }, i.mac || '—'),
      h('td', { 'data-label': 'Addresses', class: 'addr' }, i.addresses.length ? i.addresses.map((a) => h('div', null, a)) : '—')));
    v.append(card('Network interfaces',
      h('div', { class: 'scroll' }, h('table', { class: 'cards' },
        h('thead', null, h('tr', null, h('th', null, 'Interface'), h('th', null, 'State'), h('th', null, 'MAC'), h('th', null, 'Addresses'))),
        h('tbody', null, rows))),
      s.interfaces_total > rows.length ? h('p', { class: 'muted small' }, (s.interfaces_total - rows.length) + ' more not listed.') : null));
  }

  // ---- Identity ----

  const abilities = {
    viewer: ['see the device status and settings', 'see your own identity'],
    operator: ['see the device status', 'change the device settings (hostname, location, syslog, NTP)', 'see your own identity'],
    admin: ['everything operators can', 'see and change the mapping table (who gets which role)', 'read the audit log'],
  };

  async function pageIdentity(v) {
    const r = await api('GET', '/api/whoami');
    v.append(head('Identity'));
    if (!r.ok) return v.append(box('error', 'No identity.', errText(r)));
    const w = r.data;
    const days = Math.floor((w.not_after * 1000 - Date.now()) / 86400000);
    if (days < 30) {
      v.append(h('div', { class: 'warn', role: 'alert', id: 'expiry-warning' },
        h('strong', null, days < 0 ? 'Your certificate has expired.' : 'Your certificate expires in ' + plural(days, 'day') + '.'),
        h('p', null, 'Ask your administrator for a new one before ' + date(w.not_after) + '. Without a valid certificate this device refuses you.')));
    }
    v.append(h('div', { class: 'grid' },
      card('Your certificate', dl([
        ['Name', cn(w.subject)],
        ['Subject', w.subject],
        ['Issuer', w.issuer],
        ['Serial number', w.serial, 'mono'],
        ['Fingerprint', w.fingerprint, 'mono'],
        ['Valid from', date(w.not_before)],
        ['Valid until', h('span', { id: 'expiry' }, date(w.not_after) + ' (' + (days < 0 ? 'expired' : plural(days, 'day') + ' left') + ')')],
      ])),
      card('Your access', dl([['Role', h('span', { class: 'role role-' + w.role }, w.role)], ['Decided by mapping', w.mapping]]),
        h('p', { class: 'muted small' }, 'With this role you can:'),
        h('ul', null, (abilities[w.role] || []).map((a) => h('li', null, a))))));
  }

  // ---- Access: the mapping table ----

  const countMappings = (text) => (text.match(/^[ \t]*\[[ \t]*map[ \t]+"/gm) || []).length;

  async function pageAccess(v) {
    v.append(head('Access'));
    if (!can('admin')) {
      v.append(box('note', 'Administrators only.',
        'Which certificate gets which role is set by the device\u2019s mapping table. Only administrators can see or change it.',
        'Your certificate is mapped by \u201c' + me.mapping + '\u201d to the role ' + me.role + '.'));
      return;
    }
    const r = await api('GET', '/api/certmap');
    if (!r.ok) return v.append(box('error', 'The mapping table could not be read.', errText(r)));
    let active = r.text;
    let generation = me.generation;
    let bad = 0;

    const summary = h('p', { class: 'muted', id: 'certmap-summary' });
    const dirty = h('span', { class: 'muted small', hidden: true }, 'Edited, not uploaded yet.');
    const result = h('div', { id: 'certmap-result', 'aria-live': 'polite' });
    const ta = h('textarea', { id: 'certmap-text', spellcheck: 'false', autocomplete: 'off', autocapitalize: 'off', wrap: 'off', 'aria-label': 'certmap.ini, the mapping table', 'aria-describedby': 'certmap-summary' });
    const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
    const upload = h('button', { type: 'button', class: 'primary', id: 'certmap-upload', onclick: () => send(false) }, 'Upload');
    const file = h('input', { type: 'file', accept: '.ini,.txt,text/plain', 'aria-label': 'Open a certmap.ini file' });

    function paintSummary() {
      summary.textContent = 'Active table: ' + plural(countMappings(active), 'mapping') + ', ' + active.length + ' bytes, generation ' + generation + '.';
    }
    function paintGutter() {
      const n = ta.value.split('\n').length;
      if (gutter.childElementCount === n && Number(gutter.dataset.bad || 0) === bad) return;
      const lines = [];
      for (let i = 1; i <= n; i++) lines.push(h('span', i === bad ? { class: 'bad' } : null, String(i)));
      gutter.replaceChildren(...lines);
      gutter.dataset.bad = bad;
      gutter.scrollTop = ta.scrollTop;
    }
    function edited() {
      dirty.hidden = ta.value === active;
      paintGutter();
    }
    function selectLine(n) {
      const lines = ta.value.split('\n');
      let start = 0;
      for (let i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
      const end = start + (lines[n - 1] || '').length;
      ta.focus({ preventScroll: true });
      ta.setSelectionRange(start, end);
      const lh = parseFloat(getComputedStyle(ta).lineHeight) || 18;
      ta.scrollTop = Math.max(0, (n - 4) * lh);
      ta.scrollLeft = 0;
      gutter.scrollTop = ta.scrollTop;
    }
    function excerpt(text, line, msg) {
      const lines = text.split('\n');
      const at = Math.min(line, lines.length);
      const ex = h('div', { class: 'excerpt', id: 'certmap-excerpt', 'aria-label': 'certmap.ini around line ' + line });
      for (let i = Math.max(1, at - 3); i <= Math.min(lines.length, at + 2); i++) {
        ex.append(h('div', i === at ? { class: 'hit', 'data-line': i } : { 'data-line': i }, h('span', { class: 'n' }, String(i)), h('span', { class: 't' }, lines[i - 1] || ' ')));
        if (i === at) ex.append(h('div', { class: 'msg', id: 'certmap-error-at-line' }, '\u25b2 line ' + line + ': ' + msg));
      }
      return ex;
    }

    async function send(force) {
      const body = ta.value;
      upload.disabled = true;
      result.replaceChildren(h('p', { class: 'muted' }, 'Checking and committing\u2026'));
      const res = await api('PUT', '/api/certmap' + (force ? '?force=1' : ''), body, 'text/plain; charset=utf-8');
      upload.disabled = false;
      bad = 0;
      const d = res.data || {};
      if (res.status === 200) {
        active = body;
        generation = d.generation;
        result.replaceChildren(box('ok', 'Accepted.', plural(d.mappings, 'mapping') + ' active now, generation ' + d.generation + '. Requests from now on are decided by this table.'));
        paintSummary();
        const w = await api('GET', '/api/whoami');
        if (w.ok) {
          const was = me.role;
          me = w.data;
          showWho();
          if (me.role !== was) result.append(box('warn', 'Your role is now ' + me.role + '.', 'The new table maps your certificate to another role.'));
          if (me.role !== 'admin') upload.disabled = true;
        }
      } else if (res.status === 400 && res.data) {
        bad = d.line || 0;
        const more = d.errors > 1 ? 'This is the first of ' + d.errors + ' problems; `gatehouse check` lists them all.' : null;
        const err = box('error', 'Refused: nothing changed.', h('p', { class: 'mono', id: 'certmap-error' }, d.error), more);
        if (bad) err.append(excerpt(body, bad, d.message || d.error));
        result.replaceChildren(err);
        if (bad) selectLine(bad);
      } else if (res.status === 409) {
        result.replaceChildren(box('warn', 'You would lock yourself out.', d.error ? d.error.replace(/ Add \?force=1.*$/, '') : '',
          'Under this table your own certificate would no longer be an administrator. Upload it only if another administrator certificate is mapped.',
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'danger', id: 'certmap-force', onclick: () => send(true) }, 'Upload anyway'),
            h('button', { type: 'button', onclick: () => result.replaceChildren() }, 'Cancel'))));
      } else if (res.status === 413) {
        result.replaceChildren(box('error', 'Too large.', errText(res)));
      } else {
        result.replaceChildren(box('error', 'Not uploaded.', errText(res)));
      }
      edited();
    }

    ta.value = active;
    ta.addEventListener('input', edited);
    ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; });
    file.addEventListener('change', async () => {
      const f = file.files[0];
      if (!f) return;
      ta.value = await f.text();
      file.value = '';
      bad = 0;
      edited();
      result.replaceChildren(box('note', 'Opened ' + f.name + ' (' + f.size + ' bytes).', 'Review it, then Upload. Nothing changes on the device until then.'));
    });
    const download = () => {
      const url = URL.createObjectURL(new Blob([active], { type: 'text/plain' }));
      const a = h('a', { href: url, download: 'certmap.ini' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    };
    const revert = () => { ta.value = active; bad = 0; result.replaceChildren(); edited(); };

    paintSummary();
    v.append(summary,
      h('div', { class: 'actions' }, upload,
        h('label', { class: 'button file' }, 'Open file\u2026', file),
        h('button', { type: 'button', id: 'certmap-download', onclick: download }, 'Download'),
        h('button', { type: 'button', onclick: revert }, 'Revert'), dirty),
      h('p', { class: 'hint' }, 'The table is checked as a whole, exactly as `gatehouse check` does: any error refuses all of it, and the active table stays.'),
      result,
      h('div', { class: 'editor' }, gutter, ta));
    edited();
  }

  // ---- Audit ----

  async function pageAudit(v) {
    v.append(head('Audit', refresh()));
    if (!can('admin')) return v.append(box('note', 'Administrators only.', 'The audit log is for administrators.'));
    // #/audit?kind=security: the security ring only, which a flood of
    // allowed requests cannot push out of the newest page
    const kind = (/[?&]kind=([a-z]+)/.exec(location.hash) || [])[1] === 'security' ? 'security' : '';
    const r = await api('GET', '/api/audit' + (kind ? '?kind=' + kind : ''));
    if (!r.ok) return v.append(box('error', 'The audit log could not be read.', errText(r)));
    const which = h('select', { id: 'audit-kind', 'aria-label': 'Records' },
      h('option', { value: '' }, 'All records'), h('option', { value: 'security' }, 'Security events only'));
    which.value = kind;
    which.addEventListener('change', () => { location.hash = '#/audit' + (which.value ? '?kind=' + which.value : ''); });
    const recs = Array.isArray(r.data) ? r.data : [];
    const q = h('input', { type: 'search', id: 'audit-filter', placeholder: 'Filter: name, fingerprint, route, detail\u2026', 'aria-label': 'Filter records by text' });
    const reasons = [...new Set(recs.map((x) => x.reason).filter(Boolean))].sort();
    const reason = h('select', { id: 'audit-reason', 'aria-label': 'Reason' }, h('option', { value: '' }, 'Any reason'), reasons.map((x) => h('option', { value: x }, x)));
    const status = h('select', { id: 'audit-status', 'aria-label': 'Status' },
      h('option', { value: '' }, 'Any status'), h('option', { value: '2' }, '2xx allowed'), h('option', { value: '3' }, '3xx'),
      h('option', { value: '4' }, '4xx refused'), h('option', { value: '5' }, '5xx failed'), h('option', { value: '0' }, 'refused handshake'));
    const count = h('p', { class: 'muted small', id: 'audit-count', 'aria-live': 'polite' });
    const body = h('tbody');
    const text = (x) => [x.subject, x.fingerprint, x.mapping, x.role, x.reason, x.method, x.route, x.peer, x.detail, x.kind, String(x.status)].filter(Boolean).join(' ').toLowerCase();

    function paint() {
      const t = q.value.trim().toLowerCase();
      const list = recs.filter((x) => (!t || text(x).includes(t)) && (!reason.value || x.reason === reason.value) &&
        (!status.value || (status.value === '0' ? x.kind === 'handshake' : String(x.status)[0] === status.value && x.status > 0)));
      count.textContent = 'Showing ' + list.length + ' of ' + plural(recs.length, 'record') + ', newest first.';
      body.replaceChildren(...list.map((x) => h('tr', null,
        h('td', { 'data-label': 'Time', class: 'small' }, (x.time || '').replace('T', ' ').replace('Z', ' UTC')),
        h('td', { 'data-label': 'Kind' }, h('span', { class: 'kind' }, x.kind)),
        h('td', { 'data-label': 'Certificate' }, x.subject ? cn(x.subject) : h('span', { class: 'muted' }, 'none'),
          x.fingerprint ? h('div', { class: 'mono small muted', title: x.fingerprint }, x.fingerprint.slice(0, 23) + '\u2026') : null),
        h('td', { 'data-label': 'Mapping' }, x.mapping || '—', x.role ? h('div', { class: 'small muted' }, x.role) : null),
        h('td', { 'data-label': 'Request', class: 'mono small' }, x.method ? x.method + ' ' + x.route : '—', h('div', { class: 'muted' }, x.peer)),
        h('td', { 'data-label': 'Status', class: 'st-' + String(x.status)[0] }, x.status ? String(x.status) : x.kind === 'handshake' ? 'TLS' : '—'),
        h('td', { 'data-label': 'Reason' }, x.reason),
        h('td', { 'data-label': 'Detail', class: 'small' }, x.detail || ''))));
    }
    q.addEventListener('input', paint);
    reason.addEventListener('change', paint);
    status.addEventListener('change', paint);
    paint();
    v.append(h('div', { class: 'filters' }, which, q, reason, status), count,
      h('div', { class: 'card scroll' }, h('table', { class: 'cards', id: 'audit-table' },
        h('thead', null, h('tr', null, ['Time', 'Kind', 'Certificate', 'Mapping', 'Request', 'Status', 'Reason', 'Detail'].map((x) => h('th', null, x)))),
        body)));
  }

  // ---- Settings ----

  const FIELDS = [
    ['hostname', 'Hostname', 'Letters, digits and \u2018-\u2019, labels separated by dots; at most 253 characters.'],
    ['location', 'Location', 'Where the device is, e.g. \u201cHall 3, rack 7\u201d; at most 128 characters.'],
    ['contact', 'Contact', 'Who looks after it; at most 128 characters.'],
    ['syslog_server', 'Syslog server', 'Host name or address, optionally with :port, e.g. 192.0.2.10:514 or [2001:db8::10]:514. Empty: none.'],
  ];

  async function pageSettings(v) {
    v.append(head('Settings'));
    const r = await api('GET', '/api/settings');
    const edit = can('operator');
    let s = r.ok ? r.data : { hostname: '', location: '', contact: '', syslog_server: '', ntp_servers: [] };
    if (!r.ok) v.append(box('error', 'The settings could not be read.', errText(r), edit ? 'Saving writes a complete new settings file.' : ''));
    if (!edit) v.append(box('note', 'Read only.', 'Your role (' + me.role + ') can read these settings. Operators and administrators can change them.'));
    const result = h('div', { id: 'settings-result', 'aria-live': 'polite' });
    const inputs = {};
    const errors = {};
    const rows = FIELDS.map(([k, label, hint]) => {
      inputs[k] = h('input', { type: 'text', id: 'set-' + k, name: k, readonly: !edit, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'hint-' + k + ' err-' + k });
      errors[k] = h('p', { class: 'field-error', id: 'err-' + k, hidden: true });
      return h('div', { class: 'row' }, h('label', { for: 'set-' + k }, label), inputs[k], h('span', { class: 'hint', id: 'hint-' + k }, hint), errors[k]);
    });
    const ntp = [0, 1, 2, 3].map((i) => h('input', { type: 'text', id: 'set-ntp' + i, readonly: !edit, autocomplete: 'off', spellcheck: 'false', 'aria-label': 'NTP server ' + (i + 1) }));
    errors.ntp_servers = h('p', { class: 'field-error', id: 'err-ntp_servers', hidden: true });
    const ntpSet = h('fieldset', { 'aria-describedby': 'hint-ntp err-ntp_servers' }, h('legend', null, 'NTP servers'), ntp,
      h('span', { class: 'hint', id: 'hint-ntp' }, 'Up to four host names or addresses, no port.'), errors.ntp_servers);

    function fill(x) {
      for (const [k] of FIELDS) inputs[k].value = x[k] || '';
      ntp.forEach((el, i) => { el.value = (x.ntp_servers || [])[i] || ''; });
    }
    function clearErrors() {
      for (const k of Object.keys(errors)) errors[k].hidden = true;
      for (const el of [...Object.values(inputs), ...ntp]) el.removeAttribute('aria-invalid');
    }
    async function save(e) {
      e.preventDefault();
      clearErrors();
      const body = {};
      for (const [k] of FIELDS) body[k] = inputs[k].value.trim();
      body.ntp_servers = ntp.map((el) => el.value.trim()).filter(Boolean);
      const res = await api('PUT', '/api/settings', JSON.stringify(body));
      if (res.ok) {
        s = res.data;
        fill(s);
        result.replaceChildren(box('ok', 'Saved.', 'The settings are in flash (generation ' + s.generation + ').'));
        return;
      }
      const d = res.data || {};
      result.replaceChildren(box('error', 'Not saved.', errText(res)));
      if (d.field && errors[d.field]) {
        errors[d.field].textContent = d.error;
        errors[d.field].hidden = false;
        let el = inputs[d.field];
        if (d.field === 'ntp_servers') {
          const m = /server (\d)/.exec(d.error);
          el = ntp.filter((x) => x.value.trim())[m ? m[1] - 1 : 0] || ntp[0];
        }
        el.setAttribute('aria-invalid', 'true');
        el.focus();
      }
    }
    fill(s);
    const form = h('form', { id: 'settings-form', novalidate: true, onsubmit: save }, rows, ntpSet,
      edit ? h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'settings-save' }, 'Save'),
        h('button', { type: 'button', onclick: () => { clearErrors(); result.replaceChildren(); fill(s); } }, 'Reset')) : null);
    v.append(result, h('div', { class: 'card' }, form));
  }

  // ---- start ----

  async function start() {
    const r = await api('GET', '/api/whoami');
    if (!r.ok) {
      main.replaceChildren(box('error', 'This device did not accept you.', errText(r)));
      return;
    }
    me = r.data;
    showWho();
    window.addEventListener('hashchange', () => route(true));
    route(false);
  }
  start();
})();
