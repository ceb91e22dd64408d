using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace LockOrder.Benchmarks;

/// <summary>
/// Generates a lock-heavy C# library of about the asked number of lines, deterministically (the same seed and size
/// give the same code): classes with three object locks and a SpinLock, nested acquisitions in one order, call
/// chains across classes, helpers that run a delegate under their lock, try/finally Monitor and SpinLock patterns,
/// and plain code around them: each lock class comes with <see cref="PlainPerNode"/> plain classes (records,
/// LINQ, string formatting, switches, collections) that call into it now and then. About a fifth of the lines take
/// locks (real libraries have far fewer). The project has a lockorder.json (<see cref="Table"/>): four rows
/// (<c>node_a</c>, <c>node_b</c>, <c>node_c</c>, nestable, and the spinlock <c>node_spin</c>) naming every lock
/// class's fields, <c>node_a</c> protecting <c>_items</c>, which a helper reads without the lock, relying on its
/// callers (so LOCK006 asks who calls it). So that the rules have work to do, every 50th lock class sleeps under
/// its spinlock (LOCK002), every 100th takes two of its locks both ways round (a real cycle, LOCK008, and LOCK001
/// against the table) and every 100th calls the helper without the lock (LOCK006).
/// </summary>
internal static class Generator
{
    /// <summary>About how many lines one lock class and its plain companions take.</summary>
    private const int LinesPerClass = 96 + (PlainPerNode * 58);

    /// <summary>How many plain classes come with each lock class.</summary>
    public const int PlainPerNode = 6;

    /// <summary>How many classes go in one file.</summary>
    private const int ClassesPerFile = 10;

    public static int ClassesFor(int lines) => Math.Max(2, lines / LinesPerClass);

    /// <summary>Writes the project (a csproj and its sources) into <paramref name="directory"/>; the analyzer is
    /// attached when the build is given -p:LockOrderAnalyzer=path.</summary>
    public static int WriteProject(string directory, int lines, int seed = 20261130)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "Generated.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                <NoWarn>$(NoWarn);CS0169;CS0414;CS0649</NoWarn>
              </PropertyGroup>
              <ItemGroup Condition="'$(LockOrderAnalyzer)' != ''">
                <Analyzer Include="$(LockOrderAnalyzer)" />
              </ItemGroup>
              <ItemGroup>
                <AdditionalFiles Include="lockorder.json" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "lockorder.json"), Table(lines));
        int total = 0;
        foreach (var (name, text) in Files(lines, seed))
        {
            File.WriteAllText(Path.Combine(directory, name), text);
            total += text.Split('\n').Length;
        }

        return total;
    }

    /// <summary>The lock table of the generated library: one row per lock field, every class's field in its row.</summary>
    public static string Table(int lines)
    {
        int classes = ClassesFor(lines);
        string Symbols(string field) => string.Join(", ", Enumerable.Range(0, classes).Select(i => $"\"Generated.Node{i}.{field}\""));
        string Protects() => string.Join(", ", Enumerable.Range(0, classes).Select(i => $"\"Generated.Node{i}._items\""));
        return $$"""
            {
              "locks": [
                { "name": "node_a", "kind": "mutex", "symbol": [ {{Symbols("_a")}} ], "protects": [ {{Protects()}} ] },
                { "name": "node_b", "kind": "mutex", "symbol": [ {{Symbols("_b")}} ] },
                { "name": "node_c", "kind": "mutex", "nestable": true, "symbol": [ {{Symbols("_c")}} ] },
                { "name": "node_spin", "kind": "spinlock", "symbol": [ {{Symbols("_spin")}} ] }
              ]
            }
            """;
    }

    /// <summary>The sources, as (file name, text).</summary>
    public static IEnumerable<(string Name, string Text)> Files(int lines, int seed = 20261130)
    {
        int classes = ClassesFor(lines);
        var random = new Random(seed);
        for (int first = 0; first < classes; first += ClassesPerFile)
        {
            var file = new StringBuilder();
            file.Append("using System;\nusing System.Collections.Generic;\nusing System.Linq;\nusing System.Text;\nusing System.Threading;\n\nnamespace Generated;\n\n");
            for (int i = first; i < Math.Min(classes, first + ClassesPerFile); i++)
            {
                // Links go forward only (no accidental cycles through the chain); the last class links to nothing.
                int next = i + 1 < classes ? i + 1 + random.Next(Math.Min(5, classes - i - 1)) : -1;
                file.Append(Class(i, next, random.Next(1000)));
                for (int p = 0; p < PlainPerNode; p++)
                {
                    file.Append(Plain(i, p, random.Next(1000)));
                }
            }

            yield return ($"Generated{first / ClassesPerFile:D5}.cs", file.ToString());
        }
    }

    /// <summary>A plain class: no lock of its own; now and then a call into its lock class.</summary>
    private static string Plain(int i, int p, int salt) => $$"""
        public sealed record Item{{i}}_{{p}}(string Name, int Size, double Weight)
        {
            public string Label => $"{Name}#{Size}:{Weight:F2}";

            public bool IsHeavy(double limit) => Weight > limit && Size > {{salt % 10}};
        }

        public static class Report{{i}}_{{p}}
        {
            public static IReadOnlyList<Item{{i}}_{{p}}> Build(int count)
            {
                var items = new List<Item{{i}}_{{p}}>(count);
                for (int k = 0; k < count; k++)
                {
                    items.Add(new Item{{i}}_{{p}}("item" + k, k * {{salt % 17 + 1}}, k / 3.0));
                }

                return items;
            }

            public static string Summarize(IEnumerable<Item{{i}}_{{p}}> items)
            {
                var text = new StringBuilder();
                int heavy = 0;
                foreach (var item in items)
                {
                    if (item.IsHeavy({{salt % 5 + 1}}.5))
                    {
                        heavy++;
                    }

                    text.Append(item.Label).Append(';');
                }

                return $"{heavy} heavy of {text.Length} chars";
            }

            public static int Score(Item{{i}}_{{p}} item) => item.Size switch
            {
                < 10 => 1,
                < 100 => 2,
                _ => item.Name.Length + {{salt}},
            };

            public static Dictionary<string, int> Index(IEnumerable<Item{{i}}_{{p}}> items)
            {
                var index = new Dictionary<string, int>();
                foreach (var item in items)
                {
                    index[item.Name] = Score(item);
                }

                return index;
            }

            public static void Touch(Node{{i}} node, int value)
            {
                {{(p == 0 ? "node.Add(value);" : "_ = value + " + salt + ";")}}
            }
        }


        """;

    private static string Class(int i, int next, int salt)
    {
        string link = next >= 0 ? $"Node{next}" : "object";
        string chain = next >= 0 ? "if (depth > 0) Next?.Chain(depth - 1);" : "_count += depth;";
        string sleep = i % 50 == 7 ? "Thread.Sleep(1);" : "_count++;";
        string cycle = i % 100 == 13
            ? "    public void Forward() { lock (_a) { lock (_c) { _count++; } } }\n    public void Backward() { lock (_c) { lock (_a) { _count--; } } }\n"
            : "    public void Forward() { lock (_a) { lock (_c) { _count++; } } }\n    public void Backward() { lock (_a) { lock (_c) { _count--; } } }\n";
        string peek = i % 100 == 41 ? "    public int Peek() => CountLocked();\n" : "";
        return $$"""
            public sealed class Node{{i}}
            {
                private readonly object _a = new object();
                private readonly object _b = new object();
                private readonly object _c = new object();
                private SpinLock _spin = new SpinLock(false);
                private readonly List<int> _items = new List<int>();
                private int _count;
                public {{link}}? Next;

                public void Add(int value)
                {
                    lock (_a)
                    {
                        lock (_b)
                        {
                            _items.Add(value + {{salt}});
                            _count++;
                        }
                    }
                }

                public int Sum()
                {
                    lock (_a)
                    {
                        int sum = 0;
                        foreach (var item in _items)
                        {
                            sum += item;
                        }

                        return sum + CountLocked();
                    }
                }

                private int CountLocked() => _items.Count;
            {{peek}}

                public void Chain(int depth)
                {
                    lock (_c)
                    {
                        {{chain}}
                    }
                }

                public void Run(Action action)
                {
                    lock (_b)
                    {
                        action();
                    }
                }

                public void UseHelper() => Run(() => { _count += {{salt % 7}}; });

                public void Spin()
                {
                    bool taken = false;
                    try
                    {
                        _spin.Enter(ref taken);
                        {{sleep}}
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                    }
                }

                public void Guarded()
                {
                    Monitor.Enter(_b);
                    try
                    {
                        _count--;
                    }
                    finally
                    {
                        Monitor.Exit(_b);
                    }
                }

            {{cycle}}
                public string Describe(int n)
                {
                    var text = new StringBuilder();
                    for (int k = 0; k < n; k++)
                    {
                        text.Append((k * {{salt % 13 + 3}}) % 7);
                        if (k % 5 == 0)
                        {
                            text.Append(',');
                        }
                    }

                    return text.ToString();
                }

                public static int Mix(int x, int y)
                {
                    int r = x;
                    switch (y % 4)
                    {
                        case 0: r += y; break;
                        case 1: r -= y; break;
                        case 2: r *= 3; break;
                        default: r ^= y; break;
                    }

                    return r + {{salt}};
                }
            }


            """;
    }
}
