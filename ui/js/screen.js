// The head every screen starts with: its title, a line saying what it is
// for, and the screen's main buttons at the far end.
import { node } from './dom.js';

// screenHead(t('items.title'), t('items.lead'), addButton)
export function screenHead(title, lead, ...actions) {
  return node('div', { class: 'screen__head' },
    node('div', {},
      node('h1', { class: 'screen__title' }, title),
      node('p', { class: 'screen__lead' }, lead)),
    actions.length ? node('div', { class: 'screen__actions' }, ...actions) : null);
}
