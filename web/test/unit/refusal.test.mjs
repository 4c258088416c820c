import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localize } from '../../static/js/app/api.js';

const zh = {
  err_forbidden: '您的角色或与本项目的关系不允许此操作。',
  err_invalid_field: '填写的内容不符合要求。',
  err_rule_credit_code_check: '统一社会信用代码校验位不正确',
  err_law_violation: '不符合法定要求：',
  err_article: '依据',
  err_generic: '操作未能完成。',
};
const tr = (id) => zh[id] ?? id;

test('a refusal on a Chinese page is said in Chinese, never in the API\'s English', () => {
  assert.equal(localize({ code: 'forbidden', message: 'only the agent', details: {} }, tr, 'zh-CN'), zh.err_forbidden);
  assert.equal(
    localize({ code: 'invalid_field', message: 'credit_code: bad check', details: { field: 'credit_code', rule: 'credit_code_check' } }, tr, 'zh-CN'),
    '填写的内容不符合要求。（统一社会信用代码校验位不正确）',
  );
  const unknown = localize({ code: 'something_new', message: 'an English sentence', details: {} }, tr, 'zh-CN');
  assert.equal(unknown, zh.err_generic);
  assert.doesNotMatch(unknown, /[A-Za-z]/);
});

test('a law violation names each article; an English page keeps the API\'s words where it has none', () => {
  const law = {
    code: 'law_violation',
    message: 'the tender breaks the law',
    details: { violations: [{ rule: 'bid_deadline_min_20_days', article: '招标投标法 第二十四条', message: 'at least 20 days' }] },
  };
  assert.equal(localize(law, tr, 'zh-CN'), '不符合法定要求： 依据 招标投标法 第二十四条');
  assert.equal(localize({ code: 'something_new', message: 'an English sentence', details: {} }, (id) => id, 'en'), 'an English sentence');
});
