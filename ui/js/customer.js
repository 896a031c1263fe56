// What the screens that add or show customers (Customers, Sale, Services)
// share: the input for a new or changed customer, read from its name and
// phone fields, and what a customer owes written out.

// { name, phone, creditLimit } from the fields: both trimmed, an empty
// phone is no phone.
export function customerInput(name, phone, creditLimit = null) {
  return { name: name.value.trim(), phone: phone.value.trim() || null, creditLimit };
}

// A balance of { iqd, usd } as "12,500 IQD + $3.00"; '' when nothing is owed.
export function owedText(balance, money) {
  const parts = [];
  if (balance?.iqd) parts.push(money(balance.iqd, 'IQD'));
  if (balance?.usd) parts.push(money(balance.usd, 'USD'));
  return parts.join(' + ');
}
