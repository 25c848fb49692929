/** The page's fixed elements (index.html), looked up once and checked to be of the right kind. */
import { sessionUi } from '../page-ui/session';
import { byId } from './dom';

const div = (id: string): HTMLElement => byId(id, HTMLElement);
const button = (id: string): HTMLButtonElement => byId(id, HTMLButtonElement);

export const ui = {
  ...sessionUi(),
  taskFilter: byId('task-filter', HTMLSelectElement),
  refresh: button('refresh'),
  listStatus: div('list-status'),
  liveStatus: div('live-status'),
  items: byId('items', HTMLUListElement),
  empty: div('empty'),
  detail: div('detail'),
  detailTitle: div('detail-title'),
  detailStatus: div('detail-status'),
  detailBody: div('detail-body'),
  meta: byId('detail-meta', HTMLDListElement),
  reasons: byId('detail-reasons', HTMLUListElement),
  issues: byId('detail-issues', HTMLUListElement),
  input: div('detail-input'),
  validation: div('detail-validation'),
  decidedNote: div('decided-note'),
  editForm: byId('edit-form', HTMLFormElement),
  fieldset: byId('output-fields', HTMLFieldSetElement),
  fields: div('fields'),
  formErrors: div('form-errors'),
  comment: byId('comment', HTMLTextAreaElement),
  commentError: div('comment-error'),
  approve: button('approve'),
  reject: button('reject'),
  saveEdit: button('save-edit'),
  actionStatus: div('action-status'),
  result: div('result'),
  back: button('back-to-list'),
} as const;
