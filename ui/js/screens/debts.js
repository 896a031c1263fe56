// Placeholder: replaced by the real screen.
import { node } from '../dom.js';

export function mount(root, ctx) {
  const { t } = ctx;
  root.append(node('h1', { class: 'screen__title' }, t('debts.title')), node('p', { class: 'muted' }, t('placeholder.soon')));
  return null;
}
