import type { SourceFile } from '@airlock/protocol';
import type { StreamFrame } from '../runs/frames.ts';
import type { ReplayPolicy } from '../runs/replay-buffer.ts';

/**
 * Frames of a task's stream, one sequence per task (`seq`, `?from=SEQ` as for runs): the model's
 * tokens as they arrive, the program taken from its reply, each attempt's run frames (the run's own
 * frame shapes, with the run id, renumbered into the task's sequence), and `end` with the outcome.
 * Every frame but `end` names its attempt.
 */
type RunFrame = StreamFrame extends infer F
  ? F extends StreamFrame
    ? Omit<F, 'seq'> & { attempt: number }
    : never
  : never;

export type TaskFrame =
  | { type: 'token'; seq: number; taskId: string; attempt: number; text: string }
  | { type: 'program'; seq: number; taskId: string; attempt: number; files: SourceFile[] }
  | (RunFrame & { seq: number; taskId: string })
  | {
      type: 'end';
      seq: number;
      taskId: string;
      status: string;
      errorCode: string | null;
      attempts: number;
      inputTokens: number;
      outputTokens: number;
    };

export const TASK_FRAME_POLICY: ReplayPolicy<TaskFrame> = {
  bytes(frame) {
    switch (frame.type) {
      case 'token':
        return frame.text.length + 96;
      case 'program':
        return frame.files.reduce((n, f) => n + f.content.length + f.name.length, 128);
      case 'stdout':
      case 'stderr':
        return frame.data.length + 96;
      case 'exit':
        return frame.result.stdout.length + frame.result.stderr.length + 256;
      default:
        return 160;
    }
  },
  // The program and the runs' results carry what tokens and output said: those may go first.
  droppable: (frame) => frame.type === 'token' || frame.type === 'stdout' || frame.type === 'stderr',
};
