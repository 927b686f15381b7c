/**
 * A vitest reporter that ends the run with one plain summary line,
 * `tests: N passed, N failed, N skipped`, which tools that read a run's last lines understand
 * without knowing vitest's own format. It runs beside vitest's default reporter.
 */
import type { Reporter, TestModule } from "vitest/node"

export default class ClosingLine implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") counts.passed++
        else if (state === "failed") counts.failed++
        else counts.skipped++
      }
      if (module.state() === "failed" && !module.ok()) {
        // a module that failed to load has no tests to count; it still counts as a failure
        if (Array.from(module.children.allTests()).length === 0) counts.failed++
      }
    }
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`)
  }
}
