using System.Runtime.CompilerServices;

namespace LockOrder.Engine;

/// <summary>How the engine's hottest methods ask the runtime to compile them.</summary>
/// <remarks>
/// The compiler runs analyzers in a short-lived process that keeps compiling new methods until it exits. The runtime's
/// tiered compilation first makes a quick, unoptimized version of every method and promotes a hot one only once new
/// methods stop arriving for a while (its call-counting delay is extended by every new one), which in a build never
/// happens: the runtime's JIT log of a 100k-line compilation showed 1,119 of the 1,161 LockOrder methods and generic
/// instantiations it compiled still unoptimized when the compiler exited. The few methods that run once per operation
/// or per flow-graph block are therefore compiled optimized from their first call (the engine's cold pass over that
/// library went from 1,707 to 1,521 ms, medians of ten fresh processes each way; docs/performance.md, change 15).
/// <c>MethodImplOptions.AggressiveOptimization</c> (512) is not declared in netstandard2.0, which the analyzer
/// targets; the runtime reads the flag from the method's metadata all the same, and a runtime without it ignores it.
/// </remarks>
internal static class Jit
{
    /// <summary><c>MethodImplOptions.AggressiveOptimization</c>: compile optimized at once, skipping tier 0.</summary>
    public const MethodImplOptions Optimized = (MethodImplOptions)512;
}
