// A person's choice of language: kept in the `lang` cookie for this browser (the server reads it
// before login) and, when logged in, in their account (PATCH /api/me), which wins everywhere.

import { api, currentUser, serverKeepsLanguage, updateUser } from "./api.js";
import { chooseLanguage } from "./i18n.js";

/** Use `code` from now on, in this browser and (when logged in) in the account. */
export async function switchLanguage(code) {
  const user = currentUser();
  if (user && user.language !== code && serverKeepsLanguage()) {
    try {
      updateUser(await api.patch("/api/me", { language: code }));
    } catch (err) {
      // The page still switches; the account keeps its language until the next try.
      console.error(err);
    }
  }
  await chooseLanguage(code);
}
