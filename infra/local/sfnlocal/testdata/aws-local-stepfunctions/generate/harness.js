// Runs the library's intrinsic function tests with stand-ins that record,
// for each test, the function, input, arguments and expectation.
const fs = require('fs');
const out = [];
let cur = null;
const stack = [];
global.afterEach = () => {};
global.jest = { clearAllMocks() {}, spyOn() { return { mockReturnValue() {}, mockImplementation() {} }; } };
global.describe = (name, fn) => { stack.push(name); fn(); stack.pop(); };
global.test = (name, fn) => { cur = { file: global.__file, title: [...stack, name].join(' > ') }; try { fn(); } catch (e) { cur.harnessError = String(e); } out.push(cur); };
global.it = global.test;
const SENT = { sentinel: true };
class Fake { constructor(name) { this.name = name; } call(input, context, ...args) { cur.func = this.name; cur.input = input; cur.context = context; cur.args = args; cur.calls = (cur.calls || 0) + 1; return SENT; } }
global.expect = (v) => ({
  toEqual(x) { cur.expect = x; }, toBe(x) { cur.expect = x; }, toStrictEqual(x) { cur.expect = x; },
  toThrow(x) { try { v(); } catch (e) {} cur.throws = true; },
  toMatch(x) { cur.match = String(x); }, toBeGreaterThanOrEqual(x) { cur.gte = x; }, toBeLessThanOrEqual(x) { cur.lte = x; },
  toHaveLength(n) { cur.length = n; }, not: { toThrow() { try { v(); } catch (e) {} cur.notThrows = true; } },
  toBeTruthy() {}, toBeDefined() {},
});
for (const f of process.argv.slice(2)) {
  let src = fs.readFileSync(f, 'utf8');
  src = src.replace(/^import .*$/mg, '');
  const m = /^States(\w+)\.test/.exec(f);
  const fname = 'States.' + m[1];
  src = src.replace(/new States\w+\(\)/g, `new Fake(${JSON.stringify(fname)})`);
  src = src.replace(/StatesRuntimeError|StatesIntrinsicFailureError/g, 'Error');
  src = src.replace(/: (JSONValue|string|number|any)(\[\])?/g, '');
  global.__file = '__tests__/intrinsicFunctions/' + f.replace('.js', '.ts');
  global.Fake = Fake;
  try { eval(src); } catch (e) { console.error(f, e.message); }
}
console.log(JSON.stringify(out, null, 1));
