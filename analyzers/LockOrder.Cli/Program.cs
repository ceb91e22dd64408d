using System.CommandLine;

namespace LockOrder.Cli;

/// <summary>The <c>lockorder</c> tool. Each command lives in its own file and exposes <c>Create()</c>; this only
/// composes them.</summary>
internal static class Program
{
    public static RootCommand CreateRoot() => new("lockorder: tools for LockOrder's lock hierarchy, lockorder.json")
    {
        ImportCommand.Create(),
        GraphCommand.Create(),
    };

    public static int Main(string[] args) => CreateRoot().Parse(args).Invoke();
}
