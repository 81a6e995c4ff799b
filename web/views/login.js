import { login } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { homeOf } from '../app.js';

export function render(main, _params, { navigate, setTitle }) {
  setTitle(t('login.title'));
  const error = h('p', { class: 'form-error', role: 'alert' });
  const form = h(
    'form',
    { class: 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, t('app.name')),
    h('p', { class: 'muted' }, t('login.subtitle')),
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, t('login.username')), h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, autofocus: true })),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('login.password')), h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    error,
    h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    error.textContent = '';
    try {
      const user = await login(form.elements.username.value.trim(), form.elements.password.value);
      navigate(homeOf(user.role));
    } catch (err) {
      error.textContent = err.status === 401 ? t('login.failed') : err.status === 0 ? t('app.network') : err.message;
      button.disabled = false;
    }
  });
  main.append(h('section', { class: 'login-page' }, form));
  form.elements.username.focus();
}
