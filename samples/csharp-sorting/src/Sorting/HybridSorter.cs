namespace Sorting;

/// <summary>
/// An in-place hybrid sort: quicksort that hands small partitions to insertion sort.
/// DEAN agents may change only the EVOLVE-BLOCK; the tests keep it correct and the measure counts comparisons.
/// </summary>
public static class HybridSorter
{
    public static void Sort<T>(T[] items, IComparer<T> comparer) => Sort(items, 0, items.Length - 1, comparer);

    // EVOLVE-BLOCK-START
    private const int InsertionThreshold = 2;

    private static void Sort<T>(T[] a, int lo, int hi, IComparer<T> comparer)
    {
        while (hi - lo + 1 > InsertionThreshold)
        {
            var p = Partition(a, lo, hi, comparer);
            if (p - lo < hi - p)
            {
                Sort(a, lo, p - 1, comparer);
                lo = p + 1;
            }
            else
            {
                Sort(a, p + 1, hi, comparer);
                hi = p - 1;
            }
        }
        InsertionSort(a, lo, hi, comparer);
    }

    private static int Partition<T>(T[] a, int lo, int hi, IComparer<T> comparer)
    {
        var pivot = a[hi];
        var i = lo;
        for (var j = lo; j < hi; j++)
        {
            if (comparer.Compare(a[j], pivot) < 0)
            {
                (a[i], a[j]) = (a[j], a[i]);
                i++;
            }
        }
        (a[i], a[hi]) = (a[hi], a[i]);
        return i;
    }

    private static void InsertionSort<T>(T[] a, int lo, int hi, IComparer<T> comparer)
    {
        for (var i = lo + 1; i <= hi; i++)
        {
            var item = a[i];
            var j = i - 1;
            while (j >= lo && comparer.Compare(a[j], item) > 0)
            {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = item;
        }
    }
    // EVOLVE-BLOCK-END
}
