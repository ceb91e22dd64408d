using System.Collections.Generic;

// netstandard2.0 lacks the marker type that C# 9 'init' accessors need.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}

namespace LockOrder
{
    /// <summary>Members netstandard2.0's collections lack.</summary>
    internal static class CollectionPolyfills
    {
        /// <summary>Adds unless the key is there already (the first entry wins), as Dictionary.TryAdd does.</summary>
        public static bool TryAdd<TKey, TValue>(this Dictionary<TKey, TValue> dictionary, TKey key, TValue value)
            where TKey : notnull
        {
            if (dictionary.ContainsKey(key))
            {
                return false;
            }

            dictionary.Add(key, value);
            return true;
        }
    }
}
