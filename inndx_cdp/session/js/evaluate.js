// Runs an evaluate action's script and answers a JSON envelope string:
// {"v": value} on success (no "v" for undefined), {"e": message} when the
// script threw or its result cannot be turned into JSON.
//
// `produce` yields the script's value; evaluate.py passes either an arrow
// around the script itself or one returning a handle it already holds. Since
// the script runs inside `produce`, every exception from here on is the
// script's own; a syntax error of the wrapped script never gets this far.
(produce) => {
  'use strict';

  const describe = (error) => {
    if (error instanceof Error || (error && typeof error === 'object' && 'name' in error && 'message' in error)) {
      return error.message ? `${error.name}: ${error.message}` : String(error.name);
    }
    if (error && typeof error === 'object') {
      try {
        return JSON.stringify(error);
      } catch {
        return String(error);
      }
    }
    return String(error);
  };

  // What JSON.stringify makes of the value, except that NaN and the
  // infinities keep their names and a BigInt becomes its digits, so no number
  // is silently turned into null or a TypeError.
  const replacer = (key, value) => {
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (typeof value === 'bigint') return value.toString();
    return value;
  };

  const succeed = (value) => {
    try {
      return JSON.stringify({ v: value }, replacer);
    } catch (error) {
      // A cycle (window, a DOM tree walked through its parents) or a throwing
      // toJSON: report it rather than return half an answer.
      const why = describe(error).replace(/\s+/g, ' ');
      return JSON.stringify({ e: `the result cannot be converted to JSON: ${why}` });
    }
  };

  const fail = (error) => JSON.stringify({ e: describe(error) });

  let value;
  try {
    value = produce();
    if (typeof value === 'function') value = value();
    if (value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function') {
      return Promise.resolve(value).then(succeed, fail);
    }
  } catch (error) {
    return fail(error);
  }
  return succeed(value);
}
