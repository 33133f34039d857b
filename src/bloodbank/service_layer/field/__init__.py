"""The field hospital's walking blood bank: titres, the panel, supply cut-offs, activation and the call list,
emergency collection and the signed issue of blood not fully tested."""
