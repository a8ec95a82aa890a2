import { Injectable } from '@nestjs/common';

/**
 * Set once SIGTERM/SIGINT arrives. Readiness turns 503 and long-lived work (streams, jobs) stops taking new
 * clients, while in-flight requests finish.
 */
@Injectable()
export class ShutdownState {
  private startedAt: number | undefined;

  begin(): void {
    this.startedAt ??= Date.now();
  }

  get active(): boolean {
    return this.startedAt !== undefined;
  }
}
