"""The hospital side: hospitals, patients (merge and lab records), orders, allocation,
crossmatch, issue and emergency release, the bedside transfusion and returns.

`patient_profile` gathers what decides what a patient may receive; it is this area's own.
"""
