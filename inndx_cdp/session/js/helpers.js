// Page-side helpers for click, fill and element screenshots.
//
// Evaluated once per document by scripts.py; the object it yields is reachable
// only through its remote handle, so page scripts can neither see nor replace
// it. Every check answers a small JSON object: `state` is "ok" or names what is
// wrong, and `reason` says it in words. The Python side decides whether to try
// again or give up; nothing here waits longer than one animation frame.
(() => {
  'use strict';

  // Input types a user types into, and the ones whose value is set whole in
  // the input's own format (their pickers cannot be typed into reliably).
  const TEXT_TYPES = new Set(['text', 'search', 'email', 'url', 'tel', 'password']);
  const VALUE_TYPES = new Set([
    'date', 'time', 'datetime-local', 'month', 'week', 'number', 'range', 'color',
  ]);

  // The element fill() focused last, so commit() can blur it.
  let focused = null;

  const describe = (el) => {
    let text = el.localName;
    if (el.id) text += '#' + el.id;
    else if (typeof el.className === 'string' && el.className.trim()) {
      text += '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.');
    }
    if (el.localName === 'input') text += ' type=' + el.type;
    return '<' + text + '>';
  };

  const problem = (state, reason) => ({ state, reason });

  // querySelector throws a SyntaxError DOMException for a malformed selector;
  // that is the caller's mistake and is reported at once.
  const find = (selector) => {
    try {
      const el = document.querySelector(selector);
      return el ? { el } : { answer: { state: 'nomatch' } };
    } catch (error) {
      if (error && error.name === 'SyntaxError') {
        return { answer: problem('badselector', error.message) };
      }
      throw error;
    }
  };

  const isVisible = (el) => {
    // checkVisibility covers display:none anywhere up the tree,
    // content-visibility and visibility:hidden; a zero box is invisible too.
    if (!el.checkVisibility({ visibilityProperty: true })) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };

  const isDisabled = (el) => {
    if (el.matches(':disabled') || el.getAttribute('aria-disabled') === 'true') return true;
    // A click on the label of a disabled button goes nowhere either.
    const button = el.parentElement && el.parentElement.closest('button');
    return Boolean(button && button.disabled);
  };

  const isInViewport = (box) =>
    box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight && box.right <= innerWidth;

  const scrollIntoView = (el) =>
    el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });

  // The centre of the first client rect (inline elements have one per line)
  // that shows at least a pixel inside the viewport.
  const visiblePoint = (el) => {
    for (const box of el.getClientRects()) {
      const left = Math.max(box.left, 0);
      const top = Math.max(box.top, 0);
      const right = Math.min(box.right, innerWidth);
      const bottom = Math.min(box.bottom, innerHeight);
      if (right - left >= 1 && bottom - top >= 1) {
        return { x: (left + right) / 2, y: (top + bottom) / 2 };
      }
    }
    return null;
  };

  // The element that would receive a mouse event at (x, y), through open
  // shadow roots.
  const hitTarget = (x, y) => {
    let hit = document.elementFromPoint(x, y);
    while (hit && hit.shadowRoot) {
      const inner = hit.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === hit) break;
      hit = inner;
    }
    return hit;
  };

  const containsComposed = (el, node) => {
    for (let current = node; current; current = current.parentNode || current.host) {
      if (current === el) return true;
    }
    return false;
  };

  const sameBox = (a, b) =>
    a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;

  // Resolves on the next animation frame; the timer covers pages whose frames
  // are not being produced.
  const nextFrame = () =>
    new Promise((resolve) => {
      requestAnimationFrame(() => resolve());
      setTimeout(resolve, 100);
    });

  const hitProblem = (el, point) => {
    const hit = hitTarget(point.x, point.y);
    if (hit && containsComposed(el, hit)) return null;
    return problem('covered', hit ? 'element is covered by ' + describe(hit) : 'element is not hit-testable');
  };

  async function checkClick(el, settle) {
    if (!isInViewport(el.getBoundingClientRect())) scrollIntoView(el);
    if (settle) {
      // An element that is still moving (animation, late layout) would be
      // missed: its box must be the same on two consecutive frames.
      const before = el.getBoundingClientRect();
      await nextFrame();
      if (!el.isConnected) return problem('detached', 'element was removed from the document');
      if (!sameBox(before, el.getBoundingClientRect())) {
        return problem('unstable', 'element is moving');
      }
    }
    let point = visiblePoint(el);
    let covered = point ? hitProblem(el, point) : null;
    if (!point || covered) {
      // Out of the viewport or clipped by a scrolled container: scroll every
      // ancestor so that the element is centred, then look again.
      scrollIntoView(el);
      point = visiblePoint(el);
      if (!point) return problem('outside', 'element is outside of the viewport');
      covered = hitProblem(el, point);
      if (covered) return covered;
    }
    return { state: 'ok', x: point.x, y: point.y };
  }

  const fillKind = (el) => {
    if (el.localName === 'input') {
      if (TEXT_TYPES.has(el.type)) return 'type';
      if (VALUE_TYPES.has(el.type)) return 'value';
      return null;
    }
    if (el.localName === 'textarea') return 'type';
    if (el.localName === 'select') return 'select';
    if (el.isContentEditable) return 'type';
    return null;
  };

  const fire = (el) => {
    el.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  };

  // Whether the input type accepts `value`, tried on a detached twin so the
  // page's element is untouched when it does not. The value sanitization
  // algorithm empties an invalid date, time or number; range and color fall
  // back to a default instead, so they are checked by their syntax.
  const acceptsValue = (type, value) => {
    if (type === 'color') return /^#[0-9a-f]{6}$/.test(value);
    if (type === 'range') return value.trim() !== '' && Number.isFinite(Number(value));
    if (value === '') return true;
    const twin = document.createElement('input');
    twin.type = type;
    twin.value = value;
    return twin.value !== '';
  };

  const normalize = (text) => text.replace(/\s+/g, ' ').trim();

  function fillSelect(el, value) {
    const options = Array.from(el.options);
    const wanted = normalize(value);
    const option =
      options.find((o) => o.value === value) ||
      options.find((o) => normalize(o.label) === wanted) ||
      options.find((o) => normalize(o.text) === wanted);
    if (!option) return problem('nooption', `element has no option with value or label '${value}'`);
    if (option.disabled) return problem('disabled', `option '${value}' is disabled`);
    for (const o of options) o.selected = o === option;
    fire(el);
    return { state: 'ok', kind: 'done' };
  }

  function fillValue(el, value) {
    const wanted = el.type === 'color' ? value.trim().toLowerCase() : value.trim();
    if (!acceptsValue(el.type, wanted)) {
      return problem('invalid', `value '${value}' is not a valid ${el.type}`);
    }
    el.focus();
    el.value = wanted;
    fire(el);
    return { state: 'ok', kind: 'done' };
  }

  // Focus the field and select everything in it, so that the text inserted
  // next replaces the old contents the way a user's typing would.
  function prepareTyping(el) {
    el.focus();
    const root = el.getRootNode();
    const active = root.activeElement;
    if (!active || !(active === el || el.contains(active) || active.contains(el))) {
      return problem('unfocusable', 'element did not take the focus');
    }
    if (el.localName === 'input' || el.localName === 'textarea') {
      el.select();
    } else {
      const range = document.createRange();
      range.selectNodeContents(el);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    focused = el;
    return { state: 'ok', kind: 'type' };
  }

  function checkFill(el, value) {
    const kind = fillKind(el);
    if (!kind) return problem('notfillable', `element is not fillable (${describe(el)})`);
    if (el.readOnly) return problem('readonly', 'element is read-only');
    if (!isInViewport(el.getBoundingClientRect())) scrollIntoView(el);
    if (kind === 'select') return fillSelect(el, value);
    if (kind === 'value') return fillValue(el, value);
    return prepareTyping(el);
  }

  function checkShot(el) {
    if (!isInViewport(el.getBoundingClientRect())) scrollIntoView(el);
    const box = el.getBoundingClientRect();
    // Clips are in document coordinates; `fits` says whether the capture can
    // stay inside the viewport, which is cheaper.
    return {
      state: 'ok',
      x: box.left + scrollX,
      y: box.top + scrollY,
      width: box.width,
      height: box.height,
      fits: isInViewport(box),
    };
  }

  return {
    /**
     * Whether the first match of `selector` can take `action` ("click",
     * "fill" or "shot") now. For click the answer carries the viewport point
     * to press, for shot the element's box in document coordinates; for fill
     * a select or value-typed input is filled right away (kind "done") and a
     * text field is focused with its contents selected (kind "type").
     * `settle` asks a click to check that the element holds still for a
     * frame; it is false when the page's JavaScript is switched off, since no
     * frame or timer callback would ever run then.
     */
    async check(selector, action, value, settle) {
      const found = find(selector);
      if (found.answer) return found.answer;
      const el = found.el;
      if (!isVisible(el)) return problem('hidden', 'element is not visible');
      if (action === 'shot') return checkShot(el);
      if (isDisabled(el)) return problem('disabled', 'element is disabled');
      if (action === 'fill') return checkFill(el, value);
      return checkClick(el, settle);
    },

    /** Leave the filled field as a user would, which fires its native change event. */
    commit() {
      const el = focused;
      focused = null;
      if (el && el.isConnected && el.getRootNode().activeElement === el) el.blur();
      return null;
    },
  };
})()
