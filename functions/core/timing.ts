/**
 * Makes a cheap path take about as long as an expensive one, so that its
 * duration tells nothing: the expensive path reports how long it took, the
 * cheap one waits out the running average.
 */
export class TimingEqualizer {
  private average: number;

  /** @param initialMs the estimate before any observation */
  constructor(initialMs: number, private readonly weight = 0.2) {
    this.average = initialMs;
  }

  observe(durationMs: number): void {
    this.average += this.weight * (durationMs - this.average);
  }

  /** Waits until `startedAt` (a `performance.now()` reading) is about the average ago. */
  async pad(startedAt: number): Promise<void> {
    // Up to ±10 % jitter, as the expensive path varies too.
    const target = this.average * (0.9 + Math.random() * 0.2);
    const wait = target - (performance.now() - startedAt);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
