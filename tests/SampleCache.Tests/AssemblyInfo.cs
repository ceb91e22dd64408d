using Xunit;

// The kernel's violation and oops logs are process-wide: run test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
