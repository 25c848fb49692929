import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType } from '../../shared/contracts/errors';
import { ANSWER_MAX_ROUNDS } from '../../shared/policy/long-document-limits';
import {
  checkLongGrounding,
  longAnswerExcerpts,
  packLongAnswer,
  type LongJob,
  type LongOutcome,
} from './steps';

type Document = { id: string; text: string };
type AnswerOutput = { answer: string; citations: Array<{ documentId: string; quote: string }> };

/**
 * `answer` over documents past one call (docs/long-documents.md): the documents cut into pieces
 * and packed into child `answer` jobs (an activity: offsets, not texts), each piece under its
 * document's own id, so a child's grounding checks its quotes against its pieces and they are
 * verbatim in the documents. The partials that answered give their quotes, per document, as the
 * reduce job's documents (mapped again while too long for one call); when every partial
 * abstained, the job abstains with no reduce call. The reduced answer's citations are checked
 * against the whole documents: one not found fails the job (422 output-rejected naming it).
 */
export async function answerLong(job: LongJob): Promise<LongOutcome> {
  const { question, documents: originals } = job.input as {
    question: string;
    documents: Document[];
  };
  const documentIds = originals.map((d) => d.id);
  let documents = originals;
  let chunks = 0;
  let rounds = 0;
  let abstained = 0;
  for (;;) {
    rounds += 1;
    const { packs } = await packLongAnswer({ documents });
    if (rounds === 1) {
      chunks = packs.reduce((t, p) => t + p.length, 0);
      job.state.steps.push({
        name: 'chunk',
        outcome: 'ok',
        detail: `${chunks} pieces in ${packs.length} packs`,
      });
    }
    const source = documents;
    const partials = await job.map(
      packs.map((pack) => ({
        question,
        documents: pack.map(({ doc, start, end }) => ({
          id: source[doc]!.id,
          text: source[doc]!.text.slice(start, end),
        })),
      })),
    );
    job.state.steps.push({
      name: 'map',
      outcome: 'ok',
      detail: `round ${rounds}: ${partials.length} child jobs`,
    });
    const excerpts = await longAnswerExcerpts({
      documentIds,
      partials: partials.map((p) => p.output as AnswerOutput),
    });
    abstained += partials.length - excerpts.answering;
    if (excerpts.abstention !== undefined) {
      // Nothing to reduce: the job abstains as every partial did, with no reduce call.
      job.state.steps.push({
        name: 'reduce',
        outcome: 'ok',
        detail: 'no reduce job: every partial answer abstained',
      });
      return {
        output: { answer: excerpts.abstention, citations: [] },
        base: partials[partials.length - 1]!.meta,
        chunks,
        rounds,
        abstained,
        grounding: 'nothing cited: every partial answer abstained',
      };
    }
    if (excerpts.fits) {
      documents = excerpts.documents;
      break;
    }
    if (rounds >= ANSWER_MAX_ROUNDS) {
      throw ApplicationFailure.nonRetryable(
        `The cited excerpts still exceed one call after ${rounds} rounds`,
        FailureType.OutputRejected,
        [{ field: 'citations', message: 'too many excerpts to reduce', rule: 'long-document' }],
      );
    }
    documents = excerpts.documents;
  }

  const reduced = await job.runChild({ question, documents }, 'reduce');
  job.state.steps.push({ name: 'reduce', outcome: 'ok', detail: reduced.jobId });
  const { issues } = await checkLongGrounding({
    task: job.request.task,
    input: job.input,
    output: reduced.output,
  });
  job.state.steps.push({
    name: 'ground',
    outcome: issues.length === 0 ? 'ok' : 'failed',
    detail: `${issues.length} citations not in the documents`,
  });
  if (issues.length > 0) {
    throw ApplicationFailure.nonRetryable(
      'The reduced answer cites quotes the documents do not hold',
      FailureType.OutputRejected,
      issues,
    );
  }
  return {
    output: reduced.output,
    base: reduced.meta,
    chunks,
    rounds,
    abstained,
    grounding: 'every citation checked against the whole documents',
  };
}
