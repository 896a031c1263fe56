// What the screens' forms and buttons share: running one step with its
// button disabled and the form's error box cleared, then showing whatever the
// step threw (Rust's refusal, or a Validation made here with invalid()); and
// reading a money field where a blank field means something of its own.
import { parseMoney } from './format.js';

// Runs work() with button disabled (if there is one) and error cleared;
// what work() throws is shown in error and goes no further.
export async function busy(button, error, work) {
  error.clear();
  if (button) button.disabled = true;
  try {
    await work();
  } catch (err) {
    error.show(err);
  } finally {
    if (button) button.disabled = false;
  }
}

// On submit (not sent anywhere: the page stays), busy(button, error, work).
export function onSubmit(form, { button, error }, work) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    return busy(button, error, work);
  });
}

// A refusal found here before asking Rust, to throw from work(): puts the
// cursor in the field at fault.
export function invalid(message, input) {
  input.focus();
  return { code: 'Validation', message };
}

// The amount typed in input in minor units of currency; `blank` when the
// field is empty, null when what is typed is not an amount.
export function moneyOr(input, currency, blank) {
  const text = input.value.trim();
  return text === '' ? blank : parseMoney(text, currency);
}
