using System.Collections.Generic;
using System.Linq;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine;

/// <summary>
/// Calls that may block or sleep: the built-in catalog of .NET waits and synchronous I/O, plus the table's
/// 'blocking' list. Lock acquisitions are judged by the engine (a sleeping lock class), not here.
/// </summary>
internal sealed class BlockingCatalog
{
    // Type -> members that block ("*" = every method). Types marked as families also match derived types.
    private static readonly Dictionary<string, string[]> Exact = new()
    {
        ["System.Threading.Thread"] = new[] { "Sleep", "Join" },
        ["System.Threading.Tasks.Task"] = new[] { "Wait", "WaitAll", "WaitAny", "RunSynchronously" },
        ["System.Runtime.CompilerServices.TaskAwaiter"] = new[] { "GetResult" },
        ["System.Runtime.CompilerServices.ValueTaskAwaiter"] = new[] { "GetResult" },
        ["System.Runtime.CompilerServices.ConfiguredTaskAwaitable.ConfiguredTaskAwaiter"] = new[] { "GetResult" },
        ["System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable.ConfiguredValueTaskAwaiter"] = new[] { "GetResult" },
        ["System.Threading.SemaphoreSlim"] = new[] { "Wait" },
        ["System.Threading.ManualResetEventSlim"] = new[] { "Wait" },
        ["System.Threading.CountdownEvent"] = new[] { "Wait" },
        ["System.Threading.Barrier"] = new[] { "SignalAndWait" },
        ["System.Threading.Monitor"] = new[] { "Wait" },
        ["System.Collections.Concurrent.BlockingCollection"] = new[] { "Add", "Take", "TakeFromAny", "AddToAny", "GetConsumingEnumerable" },
        ["System.IO.File"] = new[] { "*" },
        ["System.IO.Directory"] = new[] { "*" },
        ["System.Net.Sockets.Socket"] = new[] { "Accept", "Connect", "Receive", "Send", "ReceiveFrom", "SendTo", "Poll", "Select", "Disconnect", "SendFile", "ReceiveMessageFrom" },
        ["System.Net.Sockets.TcpClient"] = new[] { "Connect" },
        ["System.Net.Sockets.TcpListener"] = new[] { "AcceptSocket", "AcceptTcpClient" },
        ["System.Net.Http.HttpClient"] = new[] { "Send" },
        ["System.Console"] = new[] { "Read", "ReadLine", "ReadKey" },
        ["System.Diagnostics.Process"] = new[] { "WaitForExit", "WaitForInputIdle" },
        ["System.Threading.Tasks.Parallel"] = new[] { "*" },
    };

    private static readonly Dictionary<string, string[]> Families = new()
    {
        ["System.Threading.WaitHandle"] = new[] { "WaitOne", "WaitAll", "WaitAny", "SignalAndWait" },
        ["System.IO.Stream"] = new[] { "Read", "Write", "ReadByte", "WriteByte", "Flush", "CopyTo", "ReadExactly", "ReadAtLeast", "SetLength" },
        ["System.IO.TextReader"] = new[] { "Read", "ReadLine", "ReadToEnd", "ReadBlock", "Peek" },
        ["System.IO.TextWriter"] = new[] { "Write", "WriteLine", "Flush" },
    };

    private readonly IReadOnlyCollection<string> _declared;

    public BlockingCatalog(LockTable table) => _declared = table.BlockingNames;

    /// <summary>Returns a display name ("Thread.Sleep") when the operation may block or sleep.</summary>
    public string? Blocking(IOperation operation)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                return Blocking(invocation.TargetMethod);
            case IPropertyReferenceOperation property when property.Property.Name == "Result"
                && property.Property.ContainingType is { } t && SymbolNames.Qualified(t) == "System.Threading.Tasks.Task"
                && t.IsGenericType:
                return "Task<T>.Result";
            default:
                return null;
        }
    }

    public string? Blocking(IMethodSymbol method)
    {
        for (var m = method.OriginalDefinition; m is not null; m = m.OverriddenMethod?.OriginalDefinition)
        {
            var typeName = SymbolNames.Qualified(m.ContainingType);
            if (_declared.Count > 0 && _declared.Contains(typeName + "." + m.Name))
            {
                return m.ContainingType.Name + "." + m.Name;
            }

            if (Exact.TryGetValue(typeName, out var members) && (members[0] == "*" || members.Contains(m.Name)))
            {
                return m.ContainingType.Name + "." + m.Name;
            }
        }

        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            if (Families.TryGetValue(SymbolNames.Qualified(type), out var members) && members.Contains(method.Name))
            {
                return method.ContainingType.Name + "." + method.Name;
            }
        }

        return null;
    }
}
