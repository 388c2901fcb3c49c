// The live interview console (`/i/{id}`): Enter saves a note; a save that fails keeps the note
// on the page, marked unsent, and is retried in order until the server has it (the queue also
// lives in localStorage, so a reload loses nothing). The notes list follows the events stream.
// Note text only ever reaches the page through textContent.
(function () {
  'use strict';

  const root = document.getElementById('console');
  if (!root) return;

  const FORCES = ['push', 'pull', 'anxiety', 'habit'];
  // A save refused for one of these will never succeed by retrying it.
  const PERMANENT = new Set([400, 404, 409, 413, 422]);
  const SAVE_TIMEOUT_MS = 10000;
  const MAX_BACKOFF_MS = 15000;

  const interviewId = root.dataset.interview;
  const writer = root.dataset.mode === 'write';
  const startedAt = Date.parse(root.dataset.started);
  const skewMs = Date.parse(root.dataset.now) - Date.now();
  let endedAt = root.dataset.ended ? Date.parse(root.dataset.ended) : null;

  const api = '/api/interviews/' + encodeURIComponent(interviewId);
  const queueKey = 'fieldnotes.unsent.' + interviewId;
  const refusedKey = 'fieldnotes.refused.' + interviewId;
  const sectionKey = 'fieldnotes.section.' + interviewId;

  const byId = (id) => document.getElementById(id);
  const notesList = byId('notes');
  const emptyText = byId('empty');
  const clock = byId('clock');
  const statusText = byId('status');
  const connection = byId('connection');
  const sectionList = byId('sections');
  const composer = byId('composer');
  const textBox = byId('note-text');
  const quoteButton = byId('quote');
  const endButton = byId('end');
  const forceButtons = Array.from(document.querySelectorAll('button[data-force]'));
  const sectionButtons = Array.from(document.querySelectorAll('button[data-section]'));
  const sectionTitles = new Map(sectionButtons.map((b) => [b.dataset.section, b.dataset.title]));

  // ---- Small helpers --------------------------------------------------------------------

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  function formatSeconds(total) {
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    return h > 0 ? h + ':' + pad(m) + ':' + pad(s) : m + ':' + pad(s);
  }

  function newClientId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function load(key) {
    try {
      const value = JSON.parse(localStorage.getItem(key) || '[]');
      return Array.isArray(value) ? value : [];
    } catch (e) {
      return [];
    }
  }

  function store(key, items) {
    try {
      if (items.length) localStorage.setItem(key, JSON.stringify(items));
      else localStorage.removeItem(key);
    } catch (e) {
      // Storage full or disabled: the queue still lives in this page.
    }
  }

  // Stored lists change one note at a time, by client_id, so that two tabs of the same
  // interview never overwrite each other's notes; a note both tabs send is saved once.
  function remember(key, note) {
    const items = load(key).filter((n) => n.client_id !== note.client_id);
    items.push(note);
    store(key, items);
  }

  function forget(key, clientId) {
    store(key, load(key).filter((n) => n.client_id !== clientId));
  }

  async function errorMessage(response) {
    try {
      const body = await response.json();
      const fields = body.fields ? Object.values(body.fields).join('; ') : '';
      return fields || body.message || 'refused (' + response.status + ')';
    } catch (e) {
      return 'refused (' + response.status + ')';
    }
  }

  // ---- The clock --------------------------------------------------------------------------

  function tick() {
    const now = endedAt !== null ? endedAt : Date.now() + skewMs;
    clock.textContent = formatSeconds(Math.max(0, Math.floor((now - startedAt) / 1000)));
  }
  tick();
  setInterval(tick, 1000);

  // ---- Sections -----------------------------------------------------------------------------

  let currentSection = null;

  function selectSection(id) {
    if (!sectionTitles.has(id)) return;
    currentSection = id;
    for (const button of sectionButtons) {
      const on = button.dataset.section === id;
      button.setAttribute('aria-pressed', String(on));
      button.closest('li').classList.toggle('current', on);
    }
    sectionList.classList.add('has-current');
    if (writer) {
      try {
        localStorage.setItem(sectionKey, id);
      } catch (e) {
        // Only a convenience.
      }
    }
  }

  function moveSection(step) {
    const ids = sectionButtons.map((b) => b.dataset.section);
    const at = ids.indexOf(currentSection);
    const next = Math.min(ids.length - 1, Math.max(0, at + step));
    if (ids.length) selectSection(ids[next]);
  }

  for (const button of sectionButtons) {
    button.addEventListener('click', () => {
      selectSection(button.dataset.section);
      if (textBox) textBox.focus();
    });
  }
  if (writer && sectionButtons.length) {
    let remembered = null;
    try {
      remembered = localStorage.getItem(sectionKey);
    } catch (e) {
      remembered = null;
    }
    selectSection(sectionTitles.has(remembered) ? remembered : sectionButtons[0].dataset.section);
  }

  // ---- Marks for the next note ----------------------------------------------------------

  let quote = false;
  const forces = new Set();

  function showMarks() {
    if (quoteButton) quoteButton.setAttribute('aria-pressed', String(quote));
    for (const button of forceButtons) {
      button.setAttribute('aria-pressed', String(forces.has(button.dataset.force)));
    }
  }

  function toggleQuote() {
    quote = !quote;
    showMarks();
  }

  function toggleForce(force) {
    if (forces.has(force)) forces.delete(force);
    else forces.add(force);
    showMarks();
  }

  if (quoteButton) {
    quoteButton.addEventListener('click', () => {
      toggleQuote();
      textBox.focus();
    });
  }
  for (const button of forceButtons) {
    button.addEventListener('click', () => {
      toggleForce(button.dataset.force);
      textBox.focus();
    });
  }

  // ---- The notes list -------------------------------------------------------------------

  const savedNotes = new Map(); // seq -> note
  const savedItems = new Map(); // seq -> <li>
  const pendingItems = new Map(); // client_id -> <li>

  function noteItem(note, state, detail) {
    const item = element('li', 'note' + (note.kind === 'quote' ? ' quote' : ''));
    if (note.seq !== undefined) item.dataset.seq = String(note.seq);
    if (note.client_id) item.dataset.clientId = note.client_id;
    item.dataset.state = state;
    const meta = element('div', 'meta');
    if (note.offset_s !== undefined) meta.append(element('span', 'offset', formatSeconds(note.offset_s)));
    if (note.section) meta.append(element('span', 'section', sectionTitles.get(note.section) || note.section));
    if (note.kind === 'quote') meta.append(element('span', 'kind', 'Quote'));
    for (const force of note.forces || []) meta.append(element('span', 'force force-' + force, force));
    for (const tag of note.tags || []) meta.append(element('span', 'tag', '#' + tag));
    if (note.edited_at) meta.append(element('span', 'edited', 'edited'));
    if (state !== 'saved') meta.append(element('span', 'state', detail || state));
    if (writer && state === 'saved') {
      const actions = element('span', 'note-actions');
      const edit = element('button', 'edit', 'Edit');
      edit.type = 'button';
      edit.addEventListener('click', () => startEdit(note.seq));
      const remove = element('button', 'delete', 'Delete');
      remove.type = 'button';
      remove.addEventListener('click', () => deleteNote(note.seq));
      actions.append(edit, remove);
      meta.append(actions);
    }
    if (state === 'refused') {
      const dismiss = element('button', 'dismiss', 'Dismiss');
      dismiss.type = 'button';
      dismiss.addEventListener('click', () => dismissRefused(note.client_id));
      meta.append(dismiss);
    }
    // dir=auto isolates the note, so bidi controls in it cannot reorder the page around it.
    const text = element('p', 'text', note.text);
    text.dir = 'auto';
    item.append(meta, text);
    return item;
  }

  function nearBottom() {
    return notesList.scrollHeight - notesList.scrollTop - notesList.clientHeight < 40;
  }

  // Saved notes in seq order, then the ones not saved yet in the order they were typed.
  function place(item, seq) {
    const follow = nearBottom();
    let before = null;
    if (seq !== undefined) {
      for (const child of notesList.children) {
        if (child.dataset.state !== 'saved' || Number(child.dataset.seq) > seq) {
          before = child;
          break;
        }
      }
    }
    notesList.insertBefore(item, before);
    emptyText.hidden = true;
    if (follow) notesList.scrollTop = notesList.scrollHeight;
  }

  function showSaved(note) {
    const pending = note.client_id ? pendingItems.get(note.client_id) : null;
    if (pending) {
      pending.remove();
      pendingItems.delete(note.client_id);
    }
    const item = noteItem(note, 'saved');
    const existing = savedItems.get(note.seq);
    if (existing) existing.replaceWith(item);
    else place(item, note.seq);
    savedItems.set(note.seq, item);
    savedNotes.set(note.seq, note);
  }

  function removeSaved(seq) {
    const item = savedItems.get(seq);
    if (item) item.remove();
    savedItems.delete(seq);
    savedNotes.delete(seq);
    emptyText.hidden = notesList.children.length > 0;
  }

  function showPending(note, state, detail) {
    const item = noteItem(note, state, detail);
    const existing = pendingItems.get(note.client_id);
    if (existing) existing.replaceWith(item);
    else place(item, undefined);
    pendingItems.set(note.client_id, item);
  }

  // ---- Saving: a queue, in order, retried until the server has each note ------------------

  let queue = load(queueKey);
  let refused = load(refusedKey);
  let pumping = false;
  let blocked = false;
  let backoffMs = 1000;
  let wake = null;

  function sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  function retryNow() {
    backoffMs = 1000;
    if (wake) {
      const resume = wake;
      wake = null;
      resume();
    }
  }

  async function post(note) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SAVE_TIMEOUT_MS);
    try {
      return await fetch(api + '/notes', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(note),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: abort.signal,
      });
    } catch (e) {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length) {
        const note = queue[0];
        if (!blocked) showPending(note, 'sending', 'saving…');
        const response = await post(note);
        if (response && response.ok) {
          let saved = null;
          try {
            saved = await response.json();
          } catch (e) {
            saved = null;
          }
          queue.shift();
          forget(queueKey, note.client_id);
          blocked = false;
          backoffMs = 1000;
          // The events stream brings the note too; showing it now keeps the list current
          // when the stream is slow to come back.
          if (saved && !savedItems.has(saved.seq)) showSaved(Object.assign({}, note, saved));
          continue;
        }
        if (response && PERMANENT.has(response.status)) {
          const why = await errorMessage(response);
          queue.shift();
          const rejected = Object.assign({}, note, { error: why });
          refused.push(rejected);
          remember(refusedKey, rejected);
          forget(queueKey, note.client_id);
          showPending(note, 'refused', 'not saved: ' + why);
          continue;
        }
        blocked = true;
        const why = !response
          ? 'no connection'
          : response.status === 401 || response.status === 403
            ? 'logged out: log in again in another tab'
            : 'server error ' + response.status;
        for (const waiting of queue) {
          showPending(waiting, 'unsent', 'unsent (' + why + '), retrying');
        }
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      }
    } finally {
      pumping = false;
    }
  }

  function dismissRefused(clientId) {
    refused = refused.filter((n) => n.client_id !== clientId);
    forget(refusedKey, clientId);
    const item = pendingItems.get(clientId);
    if (item) item.remove();
    pendingItems.delete(clientId);
    emptyText.hidden = notesList.children.length > 0;
  }

  function submit() {
    const text = textBox.value.trim();
    if (!text) return;
    const note = {
      client_id: newClientId(),
      text: text,
      section: currentSection,
      kind: quote ? 'quote' : 'note',
      forces: FORCES.filter((f) => forces.has(f)),
    };
    queue.push(note);
    remember(queueKey, note);
    showPending(note, blocked ? 'unsent' : 'sending', blocked ? 'unsent, waiting' : 'saving…');
    textBox.value = '';
    quote = false;
    forces.clear();
    showMarks();
    pump();
  }

  // ---- Editing and deleting saved notes -------------------------------------------------

  function flash(seq, message) {
    const item = savedItems.get(seq);
    if (!item) return;
    let line = item.querySelector('.problem');
    if (!line) {
      line = element('p', 'problem error');
      item.append(line);
    }
    line.textContent = message;
  }

  function startEdit(seq) {
    const item = savedItems.get(seq);
    const note = savedNotes.get(seq);
    if (!item || !note || item.querySelector('textarea')) return;
    const text = item.querySelector('.text');
    const box = element('textarea', 'edit-box');
    box.value = note.text;
    box.maxLength = 10000;
    box.setAttribute('aria-label', 'Edit note ' + seq + '; Enter saves, Escape cancels');
    text.replaceWith(box);
    box.focus();
    box.addEventListener('keydown', async (event) => {
      if (event.key === 'Escape') {
        box.replaceWith(text);
        if (textBox) textBox.focus();
        return;
      }
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      const value = box.value.trim();
      if (!value || value === note.text) {
        box.replaceWith(text);
        return;
      }
      box.disabled = true;
      try {
        const response = await fetch(api + '/notes/' + seq, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: value }),
          credentials: 'same-origin',
        });
        if (response.ok) {
          showSaved(await response.json());
          if (textBox) textBox.focus();
        } else {
          box.disabled = false;
          flash(seq, 'Not saved: ' + (await errorMessage(response)));
        }
      } catch (e) {
        box.disabled = false;
        flash(seq, 'Not saved: no connection. Press Enter to try again.');
      }
    });
  }

  async function deleteNote(seq) {
    if (!window.confirm('Delete note ' + seq + ' for good?')) return;
    try {
      const response = await fetch(api + '/notes/' + seq, {
        method: 'DELETE',
        credentials: 'same-origin',
      });
      if (response.ok || response.status === 404) removeSaved(seq);
      else flash(seq, 'Not deleted: ' + (await errorMessage(response)));
    } catch (e) {
      flash(seq, 'Not deleted: no connection.');
    }
  }

  // ---- Ending ---------------------------------------------------------------------------

  function showEnded(at) {
    endedAt = Date.parse(at);
    tick();
    statusText.textContent = 'Ended';
    if (composer) composer.hidden = true;
    if (endButton) endButton.hidden = true;
  }

  if (endButton) {
    endButton.addEventListener('click', async () => {
      if (queue.length) {
        window.alert('Some notes are not saved yet. End the interview once they are.');
        return;
      }
      if (!window.confirm('End the interview? No more notes can be added.')) return;
      try {
        const response = await fetch(api + '/end', { method: 'POST', credentials: 'same-origin' });
        if (response.ok) showEnded((await response.json()).ended_at);
        else window.alert('Not ended: ' + (await errorMessage(response)));
      } catch (e) {
        window.alert('Not ended: no connection. Try again in a moment.');
      }
    });
  }

  // ---- Keys -------------------------------------------------------------------------------

  if (textBox) {
    textBox.addEventListener('keydown', (event) => {
      const plainEnter =
        event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey;
      if (plainEnter && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    document.addEventListener('keydown', (event) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      // `code` names the physical key, so Alt+Q works whatever Alt turns Q into (œ on a Mac).
      const digit = /^Digit([1-4])$/.exec(event.code);
      if (event.code === 'KeyQ') toggleQuote();
      else if (digit) toggleForce(FORCES[Number(digit[1]) - 1]);
      else if (event.key === 'ArrowUp') moveSection(-1);
      else if (event.key === 'ArrowDown') moveSection(1);
      else return;
      event.preventDefault();
    });
  }

  window.addEventListener('beforeunload', (event) => {
    if (queue.length) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
  window.addEventListener('online', retryNow);

  // ---- The events stream ----------------------------------------------------------------

  let lastEventId = 0;
  let source = null;

  function onEvent(message) {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch (e) {
      return;
    }
    if (event.id <= lastEventId) return;
    lastEventId = event.id;
    if (event.type === 'note_created' || event.type === 'note_edited') {
      showSaved(event.note);
      if (!writer && event.note.section) selectSection(event.note.section);
    } else if (event.type === 'note_deleted') {
      removeSaved(event.seq);
    } else if (event.type === 'interview_ended') {
      showEnded(event.ended_at);
    }
  }

  function connect() {
    // The browser resends Last-Event-ID by itself when it reconnects; `after` covers a stream
    // that this page opens again after the browser gave up on the old one.
    source = new EventSource(api + '/events' + (lastEventId ? '?after=' + lastEventId : ''));
    source.addEventListener('open', () => {
      connection.textContent = 'live';
      retryNow();
    });
    source.addEventListener('error', () => {
      connection.textContent = 'reconnecting…';
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, 3000);
      }
    });
    for (const type of ['note_created', 'note_edited', 'note_deleted', 'interview_ended']) {
      source.addEventListener(type, onEvent);
    }
  }

  // ---- Start ------------------------------------------------------------------------------

  for (const note of refused) showPending(note, 'refused', 'not saved: ' + note.error);
  for (const note of queue) showPending(note, 'unsent', writer ? 'unsent, retrying' : 'unsent');
  if (writer && queue.length) pump();
  if (endedAt !== null) showEnded(root.dataset.ended);
  connect();
})();
