/** The part of jstat (no bundled types) that drift-stats.ts uses. */
declare module 'jstat' {
  export const jStat: {
    chisquare: {
      /** P(X ≤ x) for a chi-square variable with `dof` degrees of freedom. */
      cdf(x: number, dof: number): number;
    };
    /** The complementary error function, accurate far into the tail. */
    erfc(x: number): number;
  };
}
