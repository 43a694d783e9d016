/**
 * English function words (the Snowball list, folded, without apostrophes). They are
 * indexed, because titles like "It" or "The Who" must stay findable, but a query does
 * not require them to match and only looks them up in titles.
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his ' +
    'himself she her hers herself it its itself they them their theirs themselves what ' +
    'which who whom this that these those am is are was were be been being have has had ' +
    'having do does did doing would should could ought a an the and but if or because as ' +
    'until while of at by for with about against between into through during before after ' +
    'above below to from up down in out on off over under again further then once here ' +
    'there when where why how all any both each few more most other some such no nor not ' +
    'only own same so than too very s t can will just don dont shouldnt now isnt arent ' +
    'wasnt werent hasnt havent hadnt doesnt didnt wont wouldnt shant cant couldnt mustnt ' +
    // Contractions that spell a real word once the apostrophe is gone (shell, well) stay out.
    'im youre hes shes theyre ive youve weve theyve youd theyd youll theyll thats whos ' +
    'whats heres theres whens wheres whys hows'
  ).split(' '),
);
