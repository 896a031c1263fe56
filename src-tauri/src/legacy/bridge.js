// The localStorage bridge of legacy mode (src-tauri/src/legacy/mod.rs),
// injected into the old POS's window before any of the page's scripts.
//
// The 16 sonic_* sections come from Sonic POS's store: loaded once, before
// the page starts, by a synchronous request to the page's own protocol;
// getItem answers from that copy (counters: read fresh). setItem / removeItem of a section sends
// the new value to Sonic POS (a synchronous request: writes are ordered,
// and setItem returns once the value is stored or refused). A refused
// value is shown in a banner, and the copy is put back to what is stored.
// Every other key is the page's plain localStorage.
(function () {
  'use strict';
  var here = location.protocol === 'sonic-legacy:' || location.hostname === 'sonic-legacy.localhost';
  if (!here || window.__sonicLegacyBridge) return;
  var base = location.protocol + '//' + location.host + '/__sonic__/';

  function request(method, path, body) {
    var xhr = new XMLHttpRequest();
    try {
      xhr.open(method, base + path, false);
      if (body !== undefined) xhr.setRequestHeader('Content-Type', 'application/json');
      xhr.send(body === undefined ? null : JSON.stringify(body));
    } catch (e) {
      return { status: 0, data: { message: 'Sonic POS did not answer (' + e + ')' } };
    }
    var data = null;
    try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
    return { status: xhr.status, data: data };
  }

  function banner(text) {
    var show = function () {
      var box = document.getElementById('sonic-bridge-banner');
      if (!box) {
        box = document.createElement('div');
        box.id = 'sonic-bridge-banner';
        box.setAttribute('role', 'alert');
        var s = box.style;
        s.position = 'fixed'; s.top = '0'; s.left = '0'; s.right = '0'; s.zIndex = '2147483647';
        s.background = '#b00020'; s.color = '#fff'; s.padding = '10px 40px 10px 14px';
        s.font = '14px sans-serif'; s.whiteSpace = 'pre-wrap';
        var close = document.createElement('button');
        close.type = 'button'; close.textContent = '×'; close.setAttribute('aria-label', 'Close');
        var c = close.style;
        c.position = 'absolute'; c.top = '6px'; c.right = '10px'; c.background = 'none';
        c.border = 'none'; c.color = '#fff'; c.font = '20px sans-serif'; c.cursor = 'pointer';
        close.addEventListener('click', function () { box.remove(); });
        box.appendChild(document.createElement('span'));
        box.appendChild(close);
        (document.body || document.documentElement).appendChild(box);
      }
      box.firstChild.textContent = text;
    };
    if (document.body) show(); else document.addEventListener('DOMContentLoaded', show);
  }

  var copy = Object.create(null);
  var session = null;
  var loaded = request('GET', 'state');
  if (loaded.status === 200 && loaded.data && loaded.data.sections) {
    session = loaded.data.session;
    Object.keys(loaded.data.sections).forEach(function (k) { copy[k] = loaded.data.sections[k]; });
  } else {
    banner('Sonic POS could not load the shop\'s data for this page: ' +
      ((loaded.data && loaded.data.message) || 'error ' + loaded.status) + '. Nothing this page changes will be saved.');
  }
  var store = window.localStorage;
  function bridged(storage, key) {
    return storage === store && session !== null && Object.prototype.hasOwnProperty.call(copy, key);
  }
  function write(key, value) {
    var r = request('POST', 'write', { session: session, key: key, value: value });
    if (r.status === 200) { copy[key] = value; return; }
    var message = (r.data && r.data.message) || ('Sonic POS answered ' + r.status);
    if (r.data && Object.prototype.hasOwnProperty.call(r.data, 'value')) copy[key] = r.data.value;
    console.error('[Sonic POS] ' + key + ' not saved: ' + message);
    banner('Not saved: ' + message);
  }

  var proto = Storage.prototype;
  var real = {
    getItem: proto.getItem, setItem: proto.setItem, removeItem: proto.removeItem,
    key: proto.key, clear: proto.clear,
    length: Object.getOwnPropertyDescriptor(proto, 'length').get
  };
  function plainKeys(storage) {
    var out = [];
    var n = real.length.call(storage);
    for (var i = 0; i < n; i++) {
      var k = real.key.call(storage, i);
      if (!Object.prototype.hasOwnProperty.call(copy, k)) out.push(k);
    }
    return out;
  }
  function allKeys(storage) {
    return plainKeys(storage).concat(Object.keys(copy).filter(function (k) { return copy[k] !== null; }));
  }
  // Counters are read fresh at every getItem (small, synchronous): a
  // number the Sale screen issued meanwhile is never issued again here.
  var fresh = (loaded.data && loaded.data.fresh) || [];
  function current(key) {
    if (fresh.indexOf(key) < 0) return copy[key];
    var r = request('GET', 'read?key=' + encodeURIComponent(key));
    if (r.status === 200 && r.data && Object.prototype.hasOwnProperty.call(r.data, 'value')) copy[key] = r.data.value;
    return copy[key];
  }
  proto.getItem = function (key) {
    key = String(key);
    if (bridged(this, key)) return current(key);
    return real.getItem.call(this, key);
  };
  proto.setItem = function (key, value) {
    key = String(key);
    if (bridged(this, key)) { write(key, String(value)); return; }
    return real.setItem.call(this, key, value);
  };
  proto.removeItem = function (key) {
    key = String(key);
    if (bridged(this, key)) { write(key, null); return; }
    return real.removeItem.call(this, key);
  };
  proto.key = function (index) {
    if (this !== store || session === null) return real.key.call(this, index);
    var keys = allKeys(this);
    return index >= 0 && index < keys.length ? keys[index] : null;
  };
  proto.clear = function () {
    if (this !== store || session === null) return real.clear.call(this);
    real.clear.call(this);
    Object.keys(copy).forEach(function (k) { if (copy[k] !== null) write(k, null); });
  };
  Object.defineProperty(proto, 'length', {
    configurable: true,
    get: function () {
      if (this !== store || session === null) return real.length.call(this);
      return allKeys(this).length;
    }
  });
  Object.defineProperty(window, '__sonicLegacyBridge', { value: { sections: Object.keys(copy) } });
})();
