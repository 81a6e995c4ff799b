import { login } from '../api.js';
import { h, replace } from '../dom.js';
import { errorNodes } from '../server-errors.js';
import { t } from '../i18n.js';
import { homeOf } from '../app.js';

/**
 * @param {HTMLElement} main
 * @param {string[]} _params
 * @param {import('../app.js').ViewContext} ctx
 */
export function render(main, _params, { navigate, setTitle }) {
  setTitle(t('login.title'));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('app.name')),
    h('p', { class: 'muted' }, t('login.subtitle')),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'login-username' }, t('login.username')),
      h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, autofocus: true }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'login-password' }, t('login.password')),
      h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    ),
    error,
    h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit')),
  );
  const username = /** @type {HTMLInputElement} */ (form.elements.namedItem('username'));
  const password = /** @type {HTMLInputElement} */ (form.elements.namedItem('password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = /** @type {HTMLButtonElement} */ (form.querySelector('button'));
    button.disabled = true;
    error.textContent = '';
    try {
      const user = /** @type {import('../api.js').User} */ (await login(username.value.trim(), password.value));
      navigate(homeOf(user.role));
    } catch (caught) {
      const err = /** @type {import('../api.js').ApiError} */ (caught);
      // A wrong password and a locked account get the same answer (the server tells a stranger neither); the
      // hint says a lock exists. The address throttle (429) names its time, shown in +08:00.
      replace(error, err.status === 401 ? errorNodes({ text: t('login.failed'), detail: t('serverError.loginFailedHint') }) : errorNodes(err));
      button.disabled = false;
    }
  });
  main.append(h('section', { class: 'login-page' }, form));
  username.focus();
}
